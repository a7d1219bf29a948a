package main

import (
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/config"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		lambda  bool
		errVar  string   // variable the error names; "" for success
		columns []string // of the layout on success
		matches string   // a key the layout must match
	}{
		{"local defaults", nil, false, "", []string{"account", "region", "year", "month", "day"}, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz"},
		{"prefix", map[string]string{"TRAIL_PREFIX": "audit"}, false, "", []string{"account", "region", "year", "month", "day"}, "audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz"},
		{"hourly layout", map[string]string{"KEY_LAYOUT": "cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/…"}, false, "", []string{"account", "dt"}, "cloudaudit/100012345678/2024051410/f.json.gz"},
		{"bad layout", map[string]string{"KEY_LAYOUT": "cloudaudit/{acount}/*"}, false, "KEY_LAYOUT", nil, ""},
		{"layout without file", map[string]string{"KEY_LAYOUT": "cloudaudit/{account}"}, false, "KEY_LAYOUT", nil, ""},
		{"empty database", map[string]string{"GLUE_DATABASE": ""}, false, "GLUE_DATABASE", nil, ""},
		{"lambda without ledger", map[string]string{"GLUE_DATABASE": "trailguard", "GLUE_TABLE": "cloudtrail", "TRAIL_BUCKET": "b"}, true, "PARTITION_LEDGER_TABLE", nil, ""},
		{"lambda without bucket", map[string]string{"GLUE_DATABASE": "trailguard", "GLUE_TABLE": "cloudtrail", "PARTITION_LEDGER_TABLE": "l"}, true, "TRAIL_BUCKET", nil, ""},
		{"lambda without table (no local defaults)", map[string]string{"GLUE_DATABASE": "trailguard", "TRAIL_BUCKET": "b", "PARTITION_LEDGER_TABLE": "l"}, true, "GLUE_TABLE", nil, ""},
		{"lambda complete", map[string]string{"GLUE_DATABASE": "trailguard", "GLUE_TABLE": "cloudtrail", "TRAIL_BUCKET": "b", "PARTITION_LEDGER_TABLE": "l"}, true, "", []string{"account", "region", "year", "month", "day"}, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz"},
	}
	vars := []string{"KEY_LAYOUT", "TRAIL_BUCKET", "TRAIL_PREFIX", "GLUE_DATABASE", "GLUE_TABLE", "PARTITION_LEDGER_TABLE", "AWS_LAMBDA_RUNTIME_API"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range vars {
				unsetenv(t, v)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.lambda {
				t.Setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
			}
			_, layout, err := loadConfig()
			if tt.errVar != "" {
				var ce *config.Error
				if !errors.As(err, &ce) || ce.Var != tt.errVar {
					t.Fatalf("error %v, want one naming %s", err, tt.errVar)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(layout.Columns(), tt.columns) {
				t.Errorf("columns %q, want %q", layout.Columns(), tt.columns)
			}
			if _, ok := layout.Match(tt.matches); !ok {
				t.Errorf("layout %s does not match %q", layout, tt.matches)
			}
		})
	}
}

func TestParseBackfill(t *testing.T) {
	tests := []struct {
		target, since string
		want          *backfillRequest
		err           string
	}{
		{"", "", nil, ""},
		{"s3://trail-bucket/", "", &backfillRequest{Bucket: "trail-bucket"}, ""},
		{"s3://trail-bucket", "", &backfillRequest{Bucket: "trail-bucket"}, ""},
		{"s3://trail-bucket/audit/", "2024-05-01", &backfillRequest{Bucket: "trail-bucket", Prefix: "audit/", Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}, ""},
		{"s3://trail-bucket/audit logs/", "", &backfillRequest{Bucket: "trail-bucket", Prefix: "audit logs/"}, ""},
		{"https://trail-bucket.s3.amazonaws.com/", "", nil, "-backfill"},
		{"s3:///prefix/", "", nil, "-backfill"},
		{"trail-bucket/prefix", "", nil, "-backfill"},
		{"s3://trail-bucket/", "05/01/2024", nil, "-since"},
		{"", "2024-05-01", nil, "-since: only with -backfill"},
	}
	for _, tt := range tests {
		got, err := parseBackfill(tt.target, tt.since)
		if tt.err != "" {
			if err == nil || !startsWith(err.Error(), tt.err) {
				t.Errorf("parseBackfill(%q, %q) error %v, want one starting %q", tt.target, tt.since, err, tt.err)
			}
			continue
		}
		if err != nil || (got == nil) != (tt.want == nil) || got != nil && (*got != *tt.want) {
			t.Errorf("parseBackfill(%q, %q) = %+v, %v; want %+v", tt.target, tt.since, got, err, tt.want)
		}
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// unsetenv removes a variable for one test; t.Setenv first makes the test restore it (and
// undo what config.Load's local defaults set).
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
)

// TestLocalMode runs the binary as a developer would: exit status, -json lines on stdout,
// errors on stderr naming what is wrong.
func TestLocalMode(t *testing.T) {
	bin := localtest.Build(t)
	ev := func(name string) string { return filepath.Join("..", "..", "events", "aggregate", name) }
	bucket := []string{"-bucket-dir", sampleDir}
	jsonl := filepath.Join(t.TempDir(), "records.jsonl")
	if err := os.WriteFile(jsonl, []byte(`{"eventTime":"2026-11-20T08:01:00Z","eventName":"GetObject","recipientAccountId":"111122223333"}`+"\n"+"not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		env        []string
		wantExit   int
		wantKinds  string // alert kinds on stdout, in order
		wantFiles  int    // summary lines
		wantStderr string
	}{
		{name: "sample events, threshold rules only", args: append(append([]string{"-json"}, bucket...), ev("eventbridge-object-created.json"), ev("eventbridge-object-created.redelivered.json"),
			ev("s3-notification.json"), ev("sqs-s3-notification.json")), env: []string{"LOG_FILE_RULES=off"}, wantKinds: "access-denied failed-sign-ins", wantFiles: 5},
		// With the detection rules: each finding once per file, the redelivered file's alerts
		// dropped as duplicates, repeats of a finding in the window suppressed. The denials of
		// iam:CreateUser are unauthorized-sensitive-api-call (IAM calls), not unauthorized-api-call.
		{name: "sample events with the detection rules", args: append(append([]string{"-json"}, bucket...), ev("eventbridge-object-created.json"), ev("eventbridge-object-created.redelivered.json"),
			ev("s3-notification.json"), ev("sqs-s3-notification.json")), env: []string{"LOG_FILE_RULES=all"},
			// Flood control (ALERT_FLOOD_CAP, default 3): the fourth root-account-usage of root in
			// 111122223333 within the window is folded into the next alert's digest, not sent.
			wantKinds: "root-account-usage root-account-usage root-account-usage console-auth-failure unauthorized-sensitive-api-call access-denied failed-sign-ins root-account-usage console-auth-failure",
			wantFiles: 5},
		{name: "invalid rule mode", args: []string{"-file", jsonl}, env: []string{"LOG_FILE_RULES=some"}, wantExit: 2, wantStderr: "LOG_FILE_RULES"},
		{name: "unknown disabled rule", args: []string{"-file", jsonl}, env: []string{"DISABLED_RULES=no-such-rule"}, wantExit: 2, wantStderr: "DISABLED_RULES"},
		{name: "malformed event", args: append(append([]string{"-json"}, bucket...), ev("malformed-missing-key.json")), wantExit: 1,
			wantStderr: "field detail.object.key: missing"},
		{name: "truncated log file", args: append(append([]string{"-json"}, bucket...), ev("malformed-truncated-log-file.json")), wantExit: 1,
			wantStderr: "unexpected EOF"},
		{name: "-file with a malformed record", args: []string{"-json", "-file", jsonl}, wantFiles: 1},
		{name: "-file truncated", args: []string{"-json", "-file", filepath.Join(sampleDir, filepath.FromSlash(sampleTruncated))}, wantExit: 1, wantStderr: "unexpected EOF"},
		{name: "embedded sample bucket from any folder", args: []string{"-json", ev("s3-notification.json")}, env: []string{"LOG_FILE_RULES=off"}, wantFiles: 1},
		{name: "no bucket folder there", args: []string{ev("s3-notification.json")}, env: []string{"BUCKET_DIR=no/such/folder"}, wantExit: 2, wantStderr: "BUCKET_DIR"},
		{name: "invalid retention", args: []string{"-file", jsonl}, env: []string{"RETENTION_DAYS=0"}, wantExit: 2, wantStderr: "RETENTION_DAYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := localtest.Run(t, bin, tt.args, append([]string{"AWS_LAMBDA_RUNTIME_API=", "COUNTERS_TABLE=", "ALERT_TOPIC_ARN=", "ALERT_STATE_TABLE="}, tt.env...), "")
			if res.Exit != tt.wantExit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.Exit, tt.wantExit, res.Stdout, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, res.Stderr)
			}
			var kinds []string
			files := 0
			for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
				if line == "" {
					continue
				}
				var obj map[string]any
				if err := json.Unmarshal([]byte(line), &obj); err != nil {
					t.Fatalf("stdout line is not JSON: %s", line)
				}
				switch {
				case obj["kind"] != nil:
					kinds = append(kinds, obj["kind"].(string))
				case obj["records"] != nil:
					files++
				case obj["count"] == nil:
					t.Errorf("line is neither a counter, an alert nor a summary: %s", line)
				}
			}
			if strings.Join(kinds, " ") != tt.wantKinds || files != tt.wantFiles {
				t.Errorf("alerts %v and %d summaries, want %q and %d", kinds, files, tt.wantKinds, tt.wantFiles)
			}
		})
	}
}

package main

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/config"
)

func TestLoadConfig(t *testing.T) {
	lambdaOK := map[string]string{"COUNTERS_TABLE": "counters", "TRAIL_BUCKET": "trail", "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:alerts", "ALERT_STATE_TABLE": "state"}
	with := func(base map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for bk, bv := range base {
			if bk != k {
				out[bk] = bv
			}
		}
		return out
	}
	without := func(base map[string]string, k string) map[string]string {
		out := with(base, k, "")
		delete(out, k)
		return out
	}
	tests := []struct {
		name   string
		env    map[string]string
		lambda bool
		errVar string
		check  func(t *testing.T, c Config)
	}{
		{name: "local defaults", check: func(t *testing.T, c Config) {
			if c.BucketDir != "events/aggregate/data" || c.FailedSignInThreshold != 5 || c.AccessDeniedThreshold != 20 || c.retention() != 90*24*time.Hour {
				t.Errorf("defaults %+v", c)
			}
			if strings.Join(c.AccessDeniedCodes, ",") != "AccessDenied,UnauthorizedOperation,Client.UnauthorizedOperation" {
				t.Errorf("codes %v", c.AccessDeniedCodes)
			}
		}},
		{name: "rules off", env: map[string]string{"FAILED_SIGNIN_THRESHOLD": "0", "ACCESS_DENIED_THRESHOLD": "0", "ACCESS_DENIED_CODES": ""}},
		{name: "codes trimmed", env: map[string]string{"ACCESS_DENIED_CODES": " AccessDenied , AccessDeniedException ,"}, check: func(t *testing.T, c Config) {
			if strings.Join(c.AccessDeniedCodes, ",") != "AccessDenied,AccessDeniedException" {
				t.Errorf("codes %q", c.AccessDeniedCodes)
			}
		}},
		{name: "local run from S3", env: map[string]string{"BUCKET_DIR": ""}, check: func(t *testing.T, c Config) {
			if c.BucketDir != "" {
				t.Errorf("BUCKET_DIR set empty gave %q", c.BucketDir)
			}
		}},
		{name: "retention 0", env: map[string]string{"RETENTION_DAYS": "0"}, errVar: "RETENTION_DAYS"},
		{name: "retention not a number", env: map[string]string{"RETENTION_DAYS": "90d"}, errVar: "RETENTION_DAYS"},
		{name: "negative threshold", env: map[string]string{"FAILED_SIGNIN_THRESHOLD": "-1"}, errVar: "FAILED_SIGNIN_THRESHOLD"},
		{name: "no write concurrency", env: map[string]string{"WRITE_CONCURRENCY": "0"}, errVar: "WRITE_CONCURRENCY"},
		{name: "max counters default fits 128 MB", check: func(t *testing.T, c Config) {
			if c.MaxCounters != DefaultMaxCounters {
				t.Errorf("MAX_COUNTERS default %d, want DefaultMaxCounters %d", c.MaxCounters, DefaultMaxCounters)
			}
		}},
		{name: "max counters for 512 MB", env: map[string]string{"MAX_COUNTERS": "800000"}, check: func(t *testing.T, c Config) {
			if c.MaxCounters != 800000 {
				t.Errorf("MAX_COUNTERS %d", c.MaxCounters)
			}
		}},
		{name: "max counters too small", env: map[string]string{"MAX_COUNTERS": "10"}, errVar: "MAX_COUNTERS"},
		{name: "max counters beyond any memory", env: map[string]string{"MAX_COUNTERS": "100000000"}, errVar: "MAX_COUNTERS"},
		{name: "max counters not a number", env: map[string]string{"MAX_COUNTERS": "150k"}, errVar: "MAX_COUNTERS"},
		{name: "no denied codes with the rule on", env: map[string]string{"ACCESS_DENIED_CODES": " , "}, errVar: "ACCESS_DENIED_CODES"},
		{name: "prefix with slash", env: map[string]string{"TRAIL_PREFIX": "audit/"}, errVar: "TRAIL_PREFIX"},
		{name: "lambda complete", env: lambdaOK, lambda: true, check: func(t *testing.T, c Config) {
			if c.BucketDir != "" {
				t.Errorf("under Lambda objects come from S3, not %q", c.BucketDir)
			}
		}},
		{name: "lambda without counters table", env: without(lambdaOK, "COUNTERS_TABLE"), lambda: true, errVar: "COUNTERS_TABLE"},
		{name: "lambda without bucket", env: without(lambdaOK, "TRAIL_BUCKET"), lambda: true, errVar: "TRAIL_BUCKET"},
		{name: "lambda without topic", env: without(lambdaOK, "ALERT_TOPIC_ARN"), lambda: true, errVar: "ALERT_TOPIC_ARN"},
	}
	vars := []string{"COUNTERS_TABLE", "TRAIL_BUCKET", "TRAIL_PREFIX", "RETENTION_DAYS", "FAILED_SIGNIN_THRESHOLD", "ACCESS_DENIED_THRESHOLD",
		"ACCESS_DENIED_CODES", "WRITE_CONCURRENCY", "BUCKET_DIR", "ALERT_TOPIC_ARN", "ALERT_STATE_TABLE", "SUPPRESS_WINDOW", "ALERT_DEDUPE_FOR",
		"AWS_LAMBDA_RUNTIME_API"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, "")
				if err := os.Unsetenv(v); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.lambda {
				t.Setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
			}
			c, err := loadConfig()
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
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

package main

import (
	"regexp"
	"testing"
)

func TestLoadConfigNamesTheVariable(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string // "" = valid
	}{
		{"local defaults", nil, ""},
		{"explicit list", map[string]string{"ALLOWED_CIDRS": "203.0.113.0/24, 2001:db8::/32"}, ""},
		{"empty allowlist", map[string]string{"ALLOWED_CIDRS": ""}, "ALLOWED_CIDRS"},
		{"bad entry", map[string]string{"ALLOWED_CIDRS": "10.0.0.0/8 10.0.0.300"}, "ALLOWED_CIDRS"},
		{"ip in sources", map[string]string{"ALLOWED_SOURCES": "10.1.1.1"}, "ALLOWED_SOURCES"},
		{"no checked events", map[string]string{"CHECKED_EVENTS": " , "}, "CHECKED_EVENTS"},
		{"bad window", map[string]string{"SUPPRESS_WINDOW": "an hour"}, "SUPPRESS_WINDOW"},
		{"bad switch", map[string]string{"ALERT_ROOT_SIGN_IN": "sometimes"}, "ALERT_ROOT_SIGN_IN"},
		{"lambda without allowlist", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, "ALLOWED_CIDRS"},
		{"lambda without topic", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ALLOWED_CIDRS": "203.0.113.0/24"}, "ALERT_TOPIC_ARN"},
		{"lambda without state table", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ALLOWED_CIDRS": "203.0.113.0/24",
			"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:t"}, "ALERT_STATE_TABLE"},
	}
	vars := []string{"ALLOWED_CIDRS", "ALLOWED_SOURCES", "CHECKED_EVENTS", "SUPPRESS_WINDOW", "ALERT_ROOT_SIGN_IN",
		"AWS_LAMBDA_RUNTIME_API", "ALERT_TOPIC_ARN", "ALERT_STATE_TABLE"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, "x") // registers the restore
				unset(t, v)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, allow, err := loadConfig()
			if tt.wantVar == "" {
				if err != nil || allow == nil {
					t.Fatalf("loadConfig: %v", err)
				}
				return
			}
			// The variable's exact name: not a prefixed spelling nobody sets.
			if err == nil || !regexp.MustCompile(`\b`+tt.wantVar+`\b`).MatchString(err.Error()) {
				t.Fatalf("loadConfig error = %v, want one naming %s", err, tt.wantVar)
			}
		})
	}
}

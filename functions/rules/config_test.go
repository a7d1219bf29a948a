package main

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/config"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		check   func(t *testing.T, c Config)
	}{
		{"local defaults", nil, "", func(t *testing.T, c Config) {
			if c.Dir != "" || len(c.Disabled) != 0 || c.SuppressWindow.String() != "1h0m0s" {
				t.Errorf("config %+v", c)
			}
		}},
		{"rules variables", map[string]string{"RULES_DIR": "/opt/rules", "DISABLED_RULES": "vpc-changed,route-table-changed"}, "", func(t *testing.T, c Config) {
			if c.Dir != "/opt/rules" || !slices.Equal(c.Disabled, []string{"vpc-changed", "route-table-changed"}) {
				t.Errorf("config %+v", c)
			}
		}},
		{"negative window", map[string]string{"SUPPRESS_WINDOW": "-5m"}, "SUPPRESS_WINDOW", nil},
		{"alert variables", map[string]string{"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:alerts", "ALERT_STATE_TABLE": "state", "SUPPRESS_WINDOW": "30m"}, "", func(t *testing.T, c Config) {
			if c.TopicARN != "arn:aws:sns:us-east-1:111122223333:alerts" || c.StateTable != "state" || c.SuppressWindow.String() != "30m0s" {
				t.Errorf("config %+v", c)
			}
		}},
		{"bad window", map[string]string{"SUPPRESS_WINDOW": "soon"}, "SUPPRESS_WINDOW", nil},
		{"Lambda without topic", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ALERT_STATE_TABLE": "t"}, "ALERT_TOPIC_ARN", nil},
		{"Lambda without state table", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:alerts"}, "ALERT_STATE_TABLE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"RULES_DIR", "DISABLED_RULES", "SUPPRESS_WINDOW", "ALERT_DEDUPE_FOR", "ALERT_TOPIC_ARN", "ALERT_STATE_TABLE", "AWS_LAMBDA_RUNTIME_API"} {
				if v, ok := tt.env[k]; ok {
					t.Setenv(k, v)
				} else {
					t.Setenv(k, "") // restored after the test
					os.Unsetenv(k)
				}
			}
			c, err := loadConfig()
			if tt.wantVar != "" {
				var ce *config.Error
				if !errors.As(err, &ce) || ce.Var != tt.wantVar {
					t.Fatalf("error %v, want one naming %s", err, tt.wantVar)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

// TestTrustedAccountsStopTheStart: a bad TRUSTED_ACCOUNTS entry stops the function at start
// with an error naming the variable.
func TestTrustedAccountsStopTheStart(t *testing.T) {
	t.Setenv("TRUSTED_ACCOUNTS", "111122223333,not-an-account")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Build(pack.FS); err == nil || !strings.Contains(err.Error(), "TRUSTED_ACCOUNTS") || !strings.Contains(err.Error(), `"not-an-account"`) {
		t.Errorf("error %v, want one naming TRUSTED_ACCOUNTS and the entry", err)
	}
}

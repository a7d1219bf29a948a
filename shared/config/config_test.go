package config

import (
	"errors"
	"testing"
	"time"
)

type spec struct {
	Window time.Duration `envconfig:"TG_TEST_WINDOW" default:"1h"`
	Name   string        `envconfig:"TG_TEST_NAME"`
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		lambda     bool
		defaults   map[string]string
		wantVar    string
		wantWindow time.Duration
		wantName   string
	}{
		{name: "defaults from tags", wantWindow: time.Hour},
		{name: "value from env", env: map[string]string{"TG_TEST_WINDOW": "5m"}, wantWindow: 5 * time.Minute},
		{name: "bad value names variable", env: map[string]string{"TG_TEST_WINDOW": "soon"}, wantVar: "TG_TEST_WINDOW"},
		{name: "local default fills unset", defaults: map[string]string{"TG_TEST_NAME": "demo"}, wantWindow: time.Hour, wantName: "demo"},
		{name: "local default does not override set-empty", env: map[string]string{"TG_TEST_NAME": ""}, defaults: map[string]string{"TG_TEST_NAME": "demo"}, wantWindow: time.Hour},
		{name: "local default ignored under lambda", lambda: true, defaults: map[string]string{"TG_TEST_NAME": "demo"}, wantWindow: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TG_TEST_WINDOW", "")
			t.Setenv("TG_TEST_NAME", "")
			unsetenv(t, "TG_TEST_WINDOW", "TG_TEST_NAME")
			if tt.lambda {
				t.Setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
			} else {
				t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var s spec
			err := Load(&s, tt.defaults)
			if tt.wantVar != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Var != tt.wantVar {
					t.Fatalf("Load error = %v, want a config.Error naming %s", err, tt.wantVar)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s.Window != tt.wantWindow || s.Name != tt.wantName {
				t.Errorf("got window %v name %q, want %v %q", s.Window, s.Name, tt.wantWindow, tt.wantName)
			}
		})
	}
}

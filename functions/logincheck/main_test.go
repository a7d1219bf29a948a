package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
)

func unset(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

// TestLocalMode runs the binary as a developer would: exit status, -json lines on stdout,
// errors naming file, line and field or variable on stderr.
func TestLocalMode(t *testing.T) {
	bin := localtest.Build(t)
	ev := func(name string) string { return filepath.Join("..", "..", "events", "logincheck", name) }
	tests := []struct {
		name       string
		args       []string
		env        []string
		stdin      string
		wantExit   int
		wantKinds  []string
		wantStderr string
	}{
		{name: "one alert", args: []string{"-json", ev("untrusted-ipv4.json")}, wantKinds: []string{"untrusted-source-ip"}},
		{name: "redelivery and repeat are quiet", args: []string{"-json", ev("untrusted-ipv4.json"), ev("untrusted-ipv4.redelivered.json"), ev("untrusted-ipv4.repeat.json")},
			wantKinds: []string{"untrusted-source-ip"}},
		{name: "malformed among good", args: []string{"-json", ev("root-sign-in.json"), ev("malformed-missing-detail.json")},
			wantExit: 1, wantKinds: []string{"root-sign-in"}, wantStderr: "malformed-missing-detail.json:1: malformed event: field detail"},
		{name: "json lines on stdin", args: []string{"-json"}, stdin: compact(t, ev("without-mfa.json")) + "\n" + compact(t, ev("failed-sign-in.json")) + "\n",
			wantKinds: []string{"sign-in-without-mfa", "failed-sign-in"}},
		{name: "second line malformed", args: []string{"-json"}, stdin: compact(t, ev("without-mfa.json")) + "\n{\"source\":\"aws.signin\"}\n",
			wantExit: 1, wantKinds: []string{"sign-in-without-mfa"}, wantStderr: "stdin:2:"},
		{name: "invalid configuration", args: []string{ev("untrusted-ipv4.json")}, env: []string{"ALLOWED_CIDRS=10.0.0.0/33"},
			wantExit: 2, wantStderr: "ALLOWED_CIDRS"},
		{name: "empty allowlist", args: []string{ev("untrusted-ipv4.json")}, env: []string{"ALLOWED_CIDRS="}, wantExit: 2, wantStderr: "ALLOWED_CIDRS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := localtest.Run(t, bin, tt.args, tt.env, tt.stdin)
			if res.Exit != tt.wantExit {
				t.Errorf("exit %d, want %d; stderr:\n%s", res.Exit, tt.wantExit, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, res.Stderr)
			}
			var kinds []string
			for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
				if line == "" {
					continue
				}
				var obj map[string]any
				if err := json.Unmarshal([]byte(line), &obj); err != nil {
					t.Fatalf("stdout line is not JSON: %q", line)
				}
				for _, k := range []string{"kind", "severity", "account", "principal", "source_ip", "event_id", "event_name", "subject", "sms", "email"} {
					if _, ok := obj[k]; !ok {
						t.Errorf("line lacks %q: %s", k, line)
					}
				}
				kinds = append(kinds, obj["kind"].(string))
			}
			if strings.Join(kinds, ",") != strings.Join(tt.wantKinds, ",") {
				t.Errorf("kinds %v, want %v", kinds, tt.wantKinds)
			}
		})
	}
}

func compact(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

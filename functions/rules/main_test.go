package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/internal/localtest"

	json "github.com/goccy/go-json"
)

// TestLocalMode runs the binary as a developer or a CI job would: exit status, -json alert
// lines on stdout (kind = rule id), errors naming file, rule and variable on stderr.
func TestLocalMode(t *testing.T) {
	bin := localtest.Build(t)
	ev := func(name string) string { return filepath.Join("..", "..", "events", "rules", name) }
	own := writeFiles(t, map[string]string{"prod.yaml": passingRule})
	broken := writeFiles(t, map[string]string{"typo.yaml": strings.Replace(passingRule, "event.eventName ==", "event.evntName ==", 1)})
	failing := writeFiles(t, map[string]string{"wrong.yaml": strings.Replace(passingRule, "expect: false", "expect: true", 1)})
	assumeRole := `{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.sts","account":"111122223333","time":"2026-11-20T09:00:00Z","region":"us-east-1","resources":[],` +
		`"detail":{"eventVersion":"1.09","eventTime":"2026-11-20T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70",` +
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"sourceIPAddress":"198.51.100.23",` +
		`"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ProdAdmin","roleSessionName":"alice"}}}`
	tests := []struct {
		name       string
		args       []string
		env        []string
		stdin      string
		wantExit   int
		wantKinds  []string
		wantStdout string
		wantStderr string
	}{
		{name: "built-in rule", args: []string{"-json", ev("trail-stopped.json")}, wantKinds: []string{"cloudtrail-logging-stopped"}},
		{name: "redelivery and repeat are quiet", args: []string{"-json", ev("trail-stopped.json"), ev("trail-stopped.redelivered.json"), ev("trail-stopped.repeat.json")},
			wantKinds: []string{"cloudtrail-logging-stopped"}},
		{name: "malformed among good", args: []string{"-json", ev("kms-key-scheduled-for-deletion.json"), ev("malformed-impossible-date.json")},
			wantExit: 1, wantKinds: []string{"kms-key-disabled-or-deleted"}, wantStderr: "malformed-impossible-date.json:1: malformed event: field detail.eventTime"},
		{name: "own rule from RULES_DIR", args: []string{"-json"}, env: []string{"RULES_DIR=" + own}, stdin: assumeRole + "\n",
			wantKinds: []string{"prod-role-assumed"}},
		{name: "built-in switched off", args: []string{"-json", ev("root-sign-in-without-mfa.json")}, env: []string{"DISABLED_RULES=root-account-usage"},
			wantKinds: []string{"console-sign-in-without-mfa"}},
		{name: "rule that does not compile", args: []string{ev("trail-stopped.json")}, env: []string{"RULES_DIR=" + broken},
			wantExit: 2, wantStderr: "typo.yaml:1: rule prod-role-assumed: when: ERROR: <input>:1:6: undefined field 'evntName'"},
		{name: "unknown disabled rule", args: []string{ev("trail-stopped.json")}, env: []string{"DISABLED_RULES=vpc-change"},
			wantExit: 2, wantStderr: `DISABLED_RULES: no built-in rule has id "vpc-change"`},
		{name: "-test-rules passing", args: []string{"-test-rules", own}, wantStdout: "PASS prod-role-assumed (2 tests)"},
		{name: "-test-rules failing", args: []string{"-test-rules", failing}, wantExit: 1, wantStdout: "1 rules: 0 passed, 1 failed"},
		{name: "-test-rules not compiling", args: []string{"-test-rules", broken}, wantExit: 2, wantStdout: "undefined field 'evntName'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(cleanEnv(), tt.env...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tt.wantExit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", exit, tt.wantExit, stdout.String(), stderr.String())
			}
			if tt.wantKinds != nil || tt.wantStdout == "" {
				var kinds []string
				for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
					if line == "" {
						continue
					}
					var a struct {
						Kind string `json:"kind"`
					}
					if err := json.Unmarshal([]byte(line), &a); err != nil {
						t.Fatalf("stdout line is not an alert object: %q", line)
					}
					kinds = append(kinds, a.Kind)
				}
				if !slices.Equal(kinds, tt.wantKinds) {
					t.Errorf("alert kinds %v, want %v", kinds, tt.wantKinds)
				}
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
		})
	}
}

// cleanEnv is the test's environment without the function's variables, so a developer's
// shell cannot change the outcome.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "RULES_DIR", "DISABLED_RULES", "ALERT_TOPIC_ARN", "ALERT_STATE_TABLE", "SUPPRESS_WINDOW", "ALERT_DEDUPE_FOR", "AWS_LAMBDA_RUNTIME_API":
			continue
		}
		out = append(out, kv)
	}
	return out
}

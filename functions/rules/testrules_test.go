package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/localrun"
)

const passingRule = `id: prod-role-assumed
title: production role assumed
severity: MEDIUM
description: Someone assumed the production admin role.
when: >-
  event.eventName == "AssumeRole"
  && getOr(event.requestParameters.roleArn, "") == "arn:aws:iam::111122223333:role/ProdAdmin"
fingerprint: [requestParameters.roleSessionName]
tests:
  - name: prod admin assumed
    expect: true
    event: {"eventID": "1", "eventName": "AssumeRole", "eventSource": "sts.amazonaws.com", "requestParameters": {"roleArn": "arn:aws:iam::111122223333:role/ProdAdmin", "roleSessionName": "alice"}}
  - name: other role
    expect: false
    event: {"eventID": "2", "eventName": "AssumeRole", "eventSource": "sts.amazonaws.com", "requestParameters": {"roleArn": "arn:aws:iam::111122223333:role/ReadOnly", "roleSessionName": "bob"}}
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTestRules(t *testing.T) {
	failing := strings.NewReplacer("prod-role-assumed", "wrong", "expect: false", "expect: true").Replace(passingRule)
	untested := strings.NewReplacer("prod-role-assumed", "untested", "expect: false", "expect: true").Replace(passingRule)
	tests := []struct {
		name     string
		files    map[string]string
		disabled []string
		want     int
		wantOut  []string
	}{
		{"all pass", map[string]string{"prod.yaml": passingRule}, nil, localrun.ExitOK,
			[]string{"PASS prod-role-assumed (2 tests) ", "1 rules: 1 passed, 0 failed"}},
		{"coverage by tactic", map[string]string{"prod.yaml": strings.Replace(passingRule, "tests:", "attack: [TA0004, T1548.005]\ntests:", 1)}, nil, localrun.ExitOK,
			[]string{"coverage by ATT&CK tactic (", "1 of them in this directory):", "  TA0004 Privilege Escalation ", "(yours: 1 rules, 2 tests)", "  TA0005 Defense Evasion ", "(yours: 0 rules, 0 tests)"}},
		{"a test fails", map[string]string{"prod.yaml": passingRule, "wrong.yaml": failing}, nil, localrun.ExitMalformed,
			[]string{"PASS prod-role-assumed", "FAIL wrong ", `wrong.yaml:13: rule wrong: test "other role": expected true, got false`, "2 rules: 1 passed, 1 failed"}},
		{"no negative test", map[string]string{"untested.yaml": untested}, nil, localrun.ExitMalformed,
			[]string{"FAIL untested", "rule untested: missing a test with expect: false"}},
		{"does not compile", map[string]string{"bad.yaml": strings.Replace(passingRule, "event.eventName", "event.eventNam", 1)}, nil, localrun.ExitConfig,
			[]string{"RULES_DIR", "bad.yaml:1: rule prod-role-assumed: when:", "undefined field 'eventNam'"}},
		{"id taken by a built-in", map[string]string{"root.yaml": strings.Replace(passingRule, "prod-role-assumed", "root-account-usage", 1)}, nil, localrun.ExitConfig,
			[]string{"id also used by the rule at rules/root-account-usage.yaml:1"}},
		{"replaces a disabled built-in", map[string]string{"root.yaml": strings.Replace(passingRule, "prod-role-assumed", "root-account-usage", 1)}, []string{"root-account-usage"}, localrun.ExitOK,
			[]string{"PASS root-account-usage"}},
		{"no rule files", map[string]string{"notes.txt": "x"}, nil, localrun.ExitMalformed,
			[]string{"no rule files (*.yaml, *.yml) in "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			var out bytes.Buffer
			got := testRules(dir, tt.disabled, pack.FS, &out)
			if got != tt.want {
				t.Errorf("exit %d, want %d; output:\n%s", got, tt.want, out.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "rules/unauthorized-api-call.yaml") {
				t.Errorf("output reports built-in rules:\n%s", out.String())
			}
		})
	}
}

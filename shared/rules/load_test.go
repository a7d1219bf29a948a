package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const goodRule = `id: trail-stopped
title: trail stopped
severity: HIGH
description: StopLogging.
when: event.eventName == "StopLogging"
fingerprint: [requestParameters.name, userIdentity.arn]
tests:
  - name: stop
    expect: true
    event: {"eventID": "1", "eventName": "StopLogging", "userIdentity": {"type": "Root"}}
  - name: start
    expect: false
    event: {"eventID": "2", "eventName": "StartLogging", "userIdentity": {"type": "Root"}}
`

func TestParse(t *testing.T) {
	rules, err := Parse([]byte(goodRule+"---\n"+strings.Replace(goodRule, "id: trail-stopped", "id: other", 1)), "own/a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 {
		t.Fatalf("got %d rules, want 2 (one per YAML document)", len(rules))
	}
	r := rules[0]
	if r.ID != "trail-stopped" || r.Severity != "HIGH" || r.File != "own/a.yaml" || r.Line != 1 || len(r.Tests) != 2 || r.Tests[1].Line != 11 {
		t.Errorf("parsed %+v", r)
	}
	if rules[1].ID != "other" || rules[1].Line != 15 {
		t.Errorf("second rule: id %s line %d, want other at line 15", rules[1].ID, rules[1].Line)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"misspelt key", strings.Replace(goodRule, "fingerprint:", "fingerprints:", 1), `own/r.yaml:1: rule trail-stopped: line 6: unknown key "fingerprints"`},
		{"misspelt test key", strings.Replace(goodRule, "    expect: true", "    expected: true", 1), `rule trail-stopped: tests[0]: line 9: unknown key "expected"`},
		{"no id", strings.Replace(goodRule, "id: trail-stopped\n", "", 1), "rule (no id): id: missing"},
		{"bad id", strings.Replace(goodRule, "id: trail-stopped", "id: Trail_Stopped", 1), `id: "Trail_Stopped": want lowercase letters`},
		{"no title", strings.Replace(goodRule, "title: trail stopped\n", "", 1), "title: missing"},
		{"no when", strings.Replace(goodRule, "when: event.eventName == \"StopLogging\"\n", "", 1), "when: missing"},
		{"no severity", strings.Replace(goodRule, "severity: HIGH\n", "", 1), "severity: missing"},
		{"bad severity", strings.Replace(goodRule, "severity: HIGH", "severity: critical", 1), `severity: "critical": want HIGH, MEDIUM or LOW`},
		{"bad fingerprint path", strings.Replace(goodRule, "userIdentity.arn]", "userIdentity..arn]", 1), `fingerprint[1]: "userIdentity..arn" is not a field path`},
		{"test without expect", strings.Replace(goodRule, "    expect: true\n", "", 1), `test "stop": expect: missing`},
		{"test without event", strings.Replace(goodRule, `    event: {"eventID": "1", "eventName": "StopLogging", "userIdentity": {"type": "Root"}}`+"\n", "", 1), `test "stop": event: missing`},
		{"threshold without window", strings.Replace(goodRule, "tests:", "threshold: 5\ntests:", 1), "window: missing"},
		{"threshold of one", strings.Replace(goodRule, "tests:", "threshold: 1\nwindow: 5m\ntests:", 1), "threshold: 1: want 2 to 1000"},
		{"window without threshold", strings.Replace(goodRule, "tests:", "window: 5m\ntests:", 1), "threshold: 0: want 2 to 1000"},
		{"bad window", strings.Replace(goodRule, "tests:", "threshold: 3\nwindow: soon\ntests:", 1), `window: "soon"`},
		{"window too short", strings.Replace(goodRule, "tests:", "threshold: 3\nwindow: 30s\ntests:", 1), "want whole minutes from 1m0s to 24h0m0s"},
		{"attack without technique", strings.Replace(goodRule, "tests:", "attack: [TA0005]\ntests:", 1), "attack: want at least one tactic (TA0005) and one technique"},
		{"attack without tactic", strings.Replace(goodRule, "tests:", "attack: [T1562.008]\ntests:", 1), "attack: want at least one tactic"},
		{"unknown tactic", strings.Replace(goodRule, "tests:", "attack: [TA0099, T1562.008]\ntests:", 1), `attack[0]: "TA0099" is not an ATT&CK Enterprise tactic`},
		{"malformed technique", strings.Replace(goodRule, "tests:", "attack: [TA0005, T1562.8]\ntests:", 1), `attack[1]: "T1562.8": want a tactic ID`},
		{"empty runbook step", strings.Replace(goodRule, "tests:", "runbook: [check the trail, \" \"]\ntests:", 1), "runbook[1]: empty step"},
		{"long runbook", strings.Replace(goodRule, "tests:", "runbook: [a, b, c, d, e, f]\ntests:", 1), "runbook: 6 steps: want 1 to 5"},
		{"distinct without threshold", strings.Replace(goodRule, "tests:", "distinct: requestParameters.secretId\ntests:", 1), "distinct: needs threshold and window"},
		{"bad distinct path", strings.Replace(goodRule, "tests:", "threshold: 3\nwindow: 5m\ndistinct: a..b\ntests:", 1), `distinct: "a..b" is not a field path`},
		{"tally without threshold", strings.Replace(goodRule, "tests:", "tally: [eventName]\ntests:", 1), "tally: needs threshold and window"},
		{"tally with distinct", strings.Replace(goodRule, "tests:", "threshold: 3\nwindow: 5m\ndistinct: eventName\ntally: [eventSource]\ntests:", 1), "tally: not with distinct"},
		{"not a mapping", "- a\n- b\n", "want a mapping"},
		{"not YAML", "id: [\n", "own/r.yaml: yaml:"},
		{"empty file", "", "holds no rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "own/r.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseAttackAndRunbook(t *testing.T) {
	src := strings.Replace(goodRule, "tests:", "attack: [TA0005, T1562.008, T1562]\nrunbook: [\"Who stopped it?\", Start logging again.]\ntests:", 1)
	rules, err := Parse([]byte(src), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := rules[0]; len(r.Attack) != 3 || len(r.Runbook) != 2 || r.Runbook[1] != "Start logging again." {
		t.Errorf("attack %v runbook %v", r.Attack, r.Runbook)
	}
}

func TestParseThreshold(t *testing.T) {
	rules, err := Parse([]byte(strings.Replace(goodRule, "tests:", "threshold: 5\nwindow: 10m\ntests:", 1)), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := rules[0]; !r.HasThreshold() || r.Threshold != 5 || r.WindowDuration().Minutes() != 10 {
		t.Errorf("threshold %d window %s", r.Threshold, r.WindowDuration())
	}
}

func TestLoadFSReadsRuleFilesInOrder(t *testing.T) {
	fsys := fstest.MapFS{
		"b.yml":      {Data: []byte(strings.Replace(goodRule, "trail-stopped", "b-rule", 1))},
		"a.yaml":     {Data: []byte(strings.Replace(goodRule, "trail-stopped", "a-rule", 1))},
		"README.md":  {Data: []byte("# not a rule")},
		"sub/c.yaml": {Data: []byte("not: read")},
	}
	rules, err := LoadFS(fsys, ".", "own")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].ID != "a-rule" || rules[0].File != "own/a.yaml" || rules[1].File != "own/b.yml" {
		t.Errorf("loaded %d rules: %v", len(rules), rules)
	}
}

// TestLoadFSReportsEveryBadFile: a user fixing rules sees all the problems at once.
func TestLoadFSReportsEveryBadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"a.yaml": {Data: []byte(strings.Replace(goodRule, "severity: HIGH", "severity: urgent", 1))},
		"b.yaml": {Data: []byte(strings.Replace(goodRule, "title: trail stopped\n", "", 1))},
		"c.yaml": {Data: []byte(strings.Replace(goodRule, "trail-stopped", "fine", 1))},
	}
	rules, err := LoadFS(fsys, ".", "own")
	if err == nil || !strings.Contains(err.Error(), "own/a.yaml:1: rule trail-stopped: severity") || !strings.Contains(err.Error(), "own/b.yaml:1: rule trail-stopped: title: missing") {
		t.Errorf("error %v, want both bad files named", err)
	}
	if len(rules) != 1 || rules[0].ID != "fine" {
		t.Errorf("rules %v, want the good one", rules)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(goodRule), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, err := LoadDir(dir)
	if err != nil || len(rules) != 1 || rules[0].File != filepath.Join(dir, "r.yaml") {
		t.Errorf("LoadDir: %v, %v", rules, err)
	}
	if _, err := LoadDir(filepath.Join(dir, "absent")); err == nil {
		t.Error("LoadDir of a missing directory: no error")
	}
	if _, err := LoadDir(filepath.Join(dir, "r.yaml")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("LoadDir of a file: %v", err)
	}
}

func TestCompileRejectsDuplicateIDs(t *testing.T) {
	a, _ := Parse([]byte(goodRule), "own/a.yaml")
	b, _ := Parse([]byte(goodRule), "own/b.yaml")
	_, err := Compile(append(a, b...))
	if err == nil || !strings.Contains(err.Error(), "own/b.yaml:1: rule trail-stopped: id also used by the rule at own/a.yaml:1") {
		t.Errorf("error %v", err)
	}
}

func TestCompileChecksFingerprintPaths(t *testing.T) {
	r, _ := Parse([]byte(strings.Replace(goodRule, "userIdentity.arn]", "userIdentity.nme]", 1)), "own/a.yaml")
	_, err := Compile(r)
	if err == nil || !strings.Contains(err.Error(), "fingerprint[1] userIdentity.nme: ERROR") || !strings.Contains(err.Error(), "undefined field 'nme'") {
		t.Errorf("error %v", err)
	}
}

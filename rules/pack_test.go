package pack_test

import (
	"strings"
	"testing"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/rules/attack"
)

// compilePack loads and compiles the embedded pack exactly as the functions do.
func compilePack(t testing.TB) *rules.Engine {
	t.Helper()
	loaded, err := rules.LoadFS(pack.FS, ".", rules.BuiltinLabel)
	if err != nil {
		t.Fatalf("load pack: %v", err)
	}
	e, err := rules.Compile(loaded)
	if err != nil {
		t.Fatalf("compile pack: %v", err)
	}
	return e
}

// TestPackRuleTests runs every test event of every built-in rule; a rule without a test it
// must match and one it must not fails.
func TestPackRuleTests(t *testing.T) {
	for _, rep := range compilePack(t).RunTests() {
		t.Run(rep.Rule.ID, func(t *testing.T) {
			for _, m := range rep.Missing {
				t.Errorf("%s: missing %s", rep.Rule.File, m)
			}
			for _, res := range rep.Results {
				switch {
				case res.Err != nil:
					t.Errorf("%s:%d: test %q: %v", rep.Rule.File, res.Line, res.Name, res.Err)
				case res.Got != res.Expect:
					t.Errorf("%s:%d: test %q: rule returned %t, the test expects %t", rep.Rule.File, res.Line, res.Name, res.Got, res.Expect)
				}
			}
		})
	}
}

// maxTitle keeps a title whole in the SMS line, which gives it 40 characters at most.
const maxTitle = 32

// TestPackConventions: one rule per file, named after its id, so a rule is found by its alert
// kind; a title that fits an SMS; a description (why it matters: its first sentence is what
// the rule catches, on docs/rules.md); and what the alert tells the responder, which the
// loader leaves optional for a team's own rules but every built-in rule must have: its
// ATT&CK tactic(s) and technique(s), each technique named in package attack (so the email
// says its name), and a runbook of 1–5 steps.
func TestPackConventions(t *testing.T) {
	for _, r := range compilePack(t).Rules() {
		if want := rules.BuiltinLabel + "/" + r.ID + ".yaml"; r.File != want {
			t.Errorf("rule %s is in %s, want %s", r.ID, r.File, want)
		}
		if strings.TrimSpace(r.Description) == "" {
			t.Errorf("rule %s: no description (why it matters)", r.ID)
		}
		if len(r.Title) > maxTitle {
			t.Errorf("rule %s: title %q is longer than %d characters", r.ID, r.Title, maxTitle)
		}
		tactics, techniques := attack.Split(r.Attack)
		if len(tactics) == 0 || len(techniques) == 0 {
			t.Errorf("rule %s: attack %v: a built-in rule names at least one ATT&CK tactic and one technique", r.ID, r.Attack)
		}
		for _, id := range techniques {
			if attack.Techniques[id] == "" {
				t.Errorf("rule %s: technique %s is not in shared/rules/attack's table: add its ATT&CK name there", r.ID, id)
			}
		}
		if n := len(r.Runbook); n < 1 || n > rules.MaxRunbook {
			t.Errorf("rule %s: runbook has %d steps, a built-in rule has 1 to %d", r.ID, n, rules.MaxRunbook)
		}
	}
}

// TestPackReadsTheSameWithoutTests: the functions start without reading test events
// (Selection.Build); the pack must compile to the same rules that way.
func TestPackReadsTheSameWithoutTests(t *testing.T) {
	withTests := compilePack(t).Rules()
	e, err := rules.Selection{}.Build(pack.FS)
	if err != nil {
		t.Fatalf("pack without tests: %v", err)
	}
	without := e.Rules()
	if len(without) != len(withTests) {
		t.Fatalf("%d rules without tests, %d with", len(without), len(withTests))
	}
	for i, r := range without {
		w := withTests[i]
		if r.ID != w.ID || r.When != w.When || r.Severity != w.Severity || r.Description != w.Description ||
			strings.Join(r.Attack, ",") != strings.Join(w.Attack, ",") || strings.Join(r.Runbook, "\n") != strings.Join(w.Runbook, "\n") ||
			strings.Join(r.Fingerprint, ",") != strings.Join(w.Fingerprint, ",") || r.Threshold != w.Threshold || r.Distinct != w.Distinct ||
			strings.Join(r.Tally, ",") != strings.Join(w.Tally, ",") || len(r.Tests) != 0 {
			t.Errorf("rule %s reads differently without its tests", w.ID)
		}
	}
}

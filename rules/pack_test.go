package pack_test

import (
	"strings"
	"testing"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/rules"
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
// kind; a description that names the CIS control; a title that fits an SMS.
func TestPackConventions(t *testing.T) {
	for _, r := range compilePack(t).Rules() {
		if want := rules.BuiltinLabel + "/" + r.ID + ".yaml"; r.File != want {
			t.Errorf("rule %s is in %s, want %s", r.ID, r.File, want)
		}
		if !strings.Contains(r.Description, "CIS") {
			t.Errorf("rule %s: description does not name the CIS control it implements", r.ID)
		}
		if len(r.Title) > maxTitle {
			t.Errorf("rule %s: title %q is longer than %d characters", r.ID, r.Title, maxTitle)
		}
	}
}

package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trailguard/trailguard/shared/config"
)

var builtin = fstest.MapFS{
	"trail-stopped.yaml": {Data: []byte(goodRule)},
	"root.yaml":          {Data: []byte(strings.NewReplacer("trail-stopped", "root", `event.eventName == "StopLogging"`, `event.userIdentity.type == "Root"`).Replace(goodRule))},
}

func ids(e *Engine) string {
	var out []string
	for _, r := range e.Rules() {
		out = append(out, r.ID+"@"+r.File)
	}
	return strings.Join(out, " ")
}

func writeRule(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBuild(t *testing.T) {
	own := t.TempDir()
	writeRule(t, own, "mine.yaml", strings.Replace(goodRule, "trail-stopped", "mine", 1))
	tests := []struct {
		name string
		cfg  Selection
		want string
	}{
		{"built-ins only", Selection{}, "root@rules/root.yaml trail-stopped@rules/trail-stopped.yaml"},
		{"plus own rules", Selection{Dir: own}, "root@rules/root.yaml trail-stopped@rules/trail-stopped.yaml mine@" + filepath.Join(own, "mine.yaml")},
		{"a built-in switched off", Selection{Dir: own, Disabled: []string{" root", ""}}, "trail-stopped@rules/trail-stopped.yaml mine@" + filepath.Join(own, "mine.yaml")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.cfg.Build(builtin)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(e); got != tt.want {
				t.Errorf("rules %s, want %s", got, tt.want)
			}
		})
	}
}

// TestBuildReplacesADisabledBuiltIn: a team replaces a built-in by switching it off and
// giving its own rule the same id (the alert kind stays the same).
func TestBuildReplacesADisabledBuiltIn(t *testing.T) {
	own := t.TempDir()
	writeRule(t, own, "root.yaml", strings.Replace(goodRule, "trail-stopped", "root", 1))
	if _, err := (Selection{Dir: own}).Build(builtin); err == nil || !strings.Contains(err.Error(), "id also used by the rule at rules/root.yaml:1") {
		t.Errorf("same id without disabling: %v", err)
	}
	e, err := Selection{Dir: own, Disabled: []string{"root"}}.Build(builtin)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(e); !strings.Contains(got, "root@"+filepath.Join(own, "root.yaml")) || strings.Contains(got, "root@rules/") {
		t.Errorf("rules %s, want root from %s only", got, own)
	}
}

func TestBuildErrorsNameTheVariable(t *testing.T) {
	bad := t.TempDir()
	writeRule(t, bad, "typo.yaml", strings.NewReplacer("trail-stopped", "typo", `event.eventName == "StopLogging"`, `event.evntName == "StopLogging"`).Replace(goodRule))
	tests := []struct {
		name     string
		cfg      Selection
		wantVar  string
		wantText []string
	}{
		{"unknown disabled id", Selection{Disabled: []string{"roots", "root"}}, "DISABLED_RULES", []string{`no built-in rule has id "roots" (built-in rules: root, trail-stopped)`}},
		{"own rules cannot be disabled", Selection{Dir: bad, Disabled: []string{"typo"}}, "DISABLED_RULES", []string{`no built-in rule has id "typo"`}},
		{"missing directory", Selection{Dir: filepath.Join(bad, "absent")}, "RULES_DIR", []string{"absent"}},
		{"bad trusted account", Selection{Trusted: []string{"111122223333", "12345"}}, "TRUSTED_ACCOUNTS", []string{`"12345" is neither a 12-digit AWS account ID nor an organization ID`}},
		{"rule that does not compile", Selection{Dir: bad}, "RULES_DIR", []string{filepath.Join(bad, "typo.yaml") + ":1: rule typo: when:", "undefined field 'evntName'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.Build(builtin)
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("error %v, want a config error for %s", err, tt.wantVar)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

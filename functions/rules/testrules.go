package main

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/rules/attack"
)

// printCoverage reports, per ATT&CK tactic, how many enabled rules (built-in and the team's)
// detect it and with how many test events, so a team sees where its detection is thin.
func printCoverage(w io.Writer, enabled []*rules.Rule, ownPrefix string) {
	var own []*rules.Rule
	for _, r := range enabled {
		if strings.HasPrefix(r.File, ownPrefix) {
			own = append(own, r)
		}
	}
	ownBy := map[string]rules.TacticCoverage{}
	for _, c := range rules.Coverage(own) {
		ownBy[c.Tactic] = c
	}
	fmt.Fprintf(w, "coverage by ATT&CK tactic (%d enabled rules, %d of them in this directory):\n", len(enabled), len(own))
	for _, c := range rules.Coverage(enabled) {
		name := attack.Label(c.Tactic)
		if name == "" {
			name = "(no tactic named)"
		}
		o := ownBy[c.Tactic]
		fmt.Fprintf(w, "  %-36s %3d rules %4d tests   (yours: %d rules, %d tests)\n", name, c.Rules, c.Tests, o.Rules, o.Tests)
	}
}

// testRules is -test-rules DIR, for a team's CI: it builds the rules exactly as the function
// does at start (built-in pack, DIR as RULES_DIR, DISABLED_RULES from the environment), so a
// rule that would stop the function fails here, then runs the tests of every rule in DIR and
// prints PASS or FAIL per rule. Exit status: 0 all passed, 1 some failed, 2 the rules do not
// load or compile.
func testRules(dir string, disabled []string, builtin fs.FS, w io.Writer) int {
	e, err := rules.Selection{Dir: dir, Disabled: disabled}.BuildWithTests(builtin)
	if err != nil {
		fmt.Fprintln(w, err)
		return localrun.ExitConfig
	}
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	var passed, failed int
	for _, rep := range e.RunTests() {
		if !strings.HasPrefix(rep.Rule.File, prefix) {
			continue // a built-in: make test runs those
		}
		if rep.Passed() {
			passed++
			fmt.Fprintf(w, "PASS %s (%d tests) %s\n", rep.Rule.ID, len(rep.Results), rep.Rule.File)
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL %s %s\n", rep.Rule.ID, rep.Rule.File)
		for _, line := range rep.Summary() {
			fmt.Fprintf(w, "     %s\n", line)
		}
	}
	if passed+failed == 0 {
		fmt.Fprintf(w, "no rule files (*.yaml, *.yml) in %s\n", dir)
		return localrun.ExitMalformed
	}
	fmt.Fprintf(w, "%d rules: %d passed, %d failed\n", passed+failed, passed, failed)
	printCoverage(w, e.Rules(), prefix)
	if failed > 0 {
		return localrun.ExitMalformed
	}
	return localrun.ExitOK
}

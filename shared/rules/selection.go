package rules

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/trailguard/trailguard/shared/config"
)

// Selection chooses a function's rules from its environment. The rules function and the
// aggregator embed it in their envconfig structs (next to alert.Config), so both run the same
// rules.
type Selection struct {
	// Dir holds the team's own rule files (*.yaml, *.yml), added to the built-in pack.
	Dir string `envconfig:"RULES_DIR"`
	// Disabled lists the built-in rules switched off, by id. An own rule with the id of a
	// disabled built-in replaces it.
	Disabled []string `envconfig:"DISABLED_RULES"`
	// Trusted lists the organization's AWS account IDs (comma-separated), and/or its
	// organization ID (o-xxxxxxxxxx): what rules asking externalAccount (snapshots shared, roles
	// trusted, replication to another account) count as inside. Empty, or an organization ID
	// alone (records name accounts, not organizations), means every account but the event's
	// own is outside.
	Trusted []string `envconfig:"TRUSTED_ACCOUNTS"`
}

// BuiltinLabel is how errors and Rule.File name the built-in pack's files.
const BuiltinLabel = "rules"

// Build loads the built-in pack (the files at the root of builtin) and the rules in Dir,
// switches off Disabled, and compiles the rest, for running: the rules' test events are not
// read (BuildWithTests reads them). Every error is a *config.Error naming the variable to
// fix, with each bad rule's file, id and CEL error in the problem.
func (c Selection) Build(builtin fs.FS) (*Engine, error) { return c.build(builtin, false) }

// BuildWithTests is Build with every rule's test events, for Engine.RunTests.
func (c Selection) BuildWithTests(builtin fs.FS) (*Engine, error) { return c.build(builtin, true) }

func (c Selection) build(builtin fs.FS, withTests bool) (*Engine, error) {
	trusted, err := ParseTrustedAccounts(c.Trusted)
	if err != nil {
		return nil, &config.Error{Var: "TRUSTED_ACCOUNTS", Problem: err.Error()}
	}
	rules, err := c.load(builtin, withTests)
	if err != nil {
		return nil, err
	}
	e, err := CompileWith(rules, Options{Trusted: trusted})
	if err != nil {
		return nil, &config.Error{Var: "RULES_DIR", Problem: "rules do not compile:\n" + err.Error()}
	}
	return e, nil
}

func (c Selection) load(builtin fs.FS, withTests bool) ([]*Rule, error) {
	rules, err := loadFS(builtin, ".", BuiltinLabel, withTests)
	if err != nil {
		return nil, fmt.Errorf("built-in rule pack: %w", err)
	}
	off := map[string]bool{}
	for _, id := range c.Disabled {
		if id = strings.TrimSpace(id); id != "" {
			off[id] = true
		}
	}
	var enabled []*Rule
	for _, r := range rules {
		if off[r.ID] {
			delete(off, r.ID)
			continue
		}
		enabled = append(enabled, r)
	}
	if len(off) > 0 {
		return nil, &config.Error{Var: "DISABLED_RULES", Problem: fmt.Sprintf("no built-in rule has id %s (built-in rules: %s)", quoted(off), strings.Join(ruleIDs(rules), ", "))}
	}
	if c.Dir != "" {
		own, err := loadDir(c.Dir, withTests)
		if err != nil {
			return nil, &config.Error{Var: "RULES_DIR", Problem: err.Error()}
		}
		enabled = append(enabled, own...)
	}
	return enabled, nil
}

func quoted(set map[string]bool) string {
	var out []string
	for id := range set {
		out = append(out, fmt.Sprintf("%q", id))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func ruleIDs(rules []*Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.ID)
	}
	sort.Strings(out)
	return out
}

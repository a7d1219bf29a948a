package rules

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/rules/attack"
)

// SeverityPolicy says what each severity asks of the responder; the rule page and the package
// doc state it, and every built-in rule's severity follows it.
var SeverityPolicy = []struct {
	Severity alert.Severity
	Means    string
}{
	{alert.High, "act now: it pages (SMS and email). The event itself is the damage or hides it: logging switched off, data shared out of the organization, an administrator or a backdoor made."},
	{alert.Medium, "look today (email). A likely step of an attack that is also done legitimately: a sign-in without MFA, a command run on an instance, denied sensitive calls."},
	{alert.Low, "review (the god view, a daily read). Only its repetition or its context makes it an attack: a burst of denied calls, a routine configuration change."},
}

// FirstSentence is what a rule catches: its description's first sentence.
func FirstSentence(desc string) string {
	desc = strings.Join(strings.Fields(desc), " ")
	depth := 0
	for i := 0; i < len(desc); i++ {
		switch desc[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case '.', '!', '?':
			if depth > 0 || (i+1 < len(desc) && desc[i+1] != ' ') {
				continue
			}
			if w := desc[strings.LastIndexByte(desc[:i], ' ')+1 : i+1]; w == "e.g." || w == "i.e." || w == "etc." || w == "vs." {
				continue
			}
			return desc[:i+1]
		}
	}
	return desc
}

// DocPage is docs/rules.md: every rule (id, severity, tactics, techniques, what it catches),
// the severity policy, and the coverage by tactic. It depends on the rules only, so a test
// can compare the committed page with a fresh one.
func DocPage(rules []*Rule, regenerate string) []byte {
	sorted := append([]*Rule(nil), rules...)
	rank := map[alert.Severity]int{alert.High: 0, alert.Medium: 1, alert.Low: 2}
	sort.SliceStable(sorted, func(i, j int) bool {
		if rank[sorted[i].Severity] != rank[sorted[j].Severity] {
			return rank[sorted[i].Severity] < rank[sorted[j].Severity]
		}
		return sorted[i].ID < sorted[j].ID
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- Generated from the rule files in rules/ by `%s`; do not edit. -->\n\n", regenerate)
	b.WriteString("# Built-in detection rules\n\n")
	fmt.Fprintf(&b, "The built-in pack holds %d rules (`rules/*.yaml`), each a CEL condition over one CloudTrail record with the test events that show what it catches and what it leaves alone. ", len(rules))
	b.WriteString("Every alert names the rule's MITRE ATT&CK tactics and techniques and lists its runbook, the first things to check. ")
	b.WriteString("A rule is switched off by id with `DISABLED_RULES`; a team adds its own with `RULES_DIR` (see [custom-rules.md](custom-rules.md)). ")
	b.WriteString("Rules that ask whether an account is outside the organization read `TRUSTED_ACCOUNTS` (the organization's account IDs; empty, or an organization ID alone, means every account but the event's own).\n\n")
	b.WriteString("## Severity means urgency\n\n")
	for _, p := range SeverityPolicy {
		fmt.Fprintf(&b, "- **%s** — %s\n", p.Severity, p.Means)
	}
	b.WriteString("\n## Rules\n\n")
	b.WriteString("| Rule | Severity | Tactic | Technique | What it catches |\n|---|---|---|---|---|\n")
	for _, r := range sorted {
		tactics, techniques := attack.Split(r.Attack)
		catches := FirstSentence(r.Description)
		if r.HasThreshold() {
			what := "hits"
			if r.Distinct != "" {
				what = "distinct `" + r.Distinct + "`"
			}
			catches += fmt.Sprintf(" *(alerts from %d %s in %s)*", r.Threshold, what, r.Window)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.ID, r.Severity, cell(labels(tactics, " ")), cell(labels(techniques, " ")), cell(catches))
	}
	b.WriteString("\n## Coverage by tactic\n\n| Tactic | Rules | Test events |\n|---|---|---|\n")
	for _, c := range Coverage(rules) {
		name := attack.Label(c.Tactic)
		if name == "" {
			name = "(no tactic named)"
		}
		fmt.Fprintf(&b, "| %s | %d | %d |\n", cell(name), c.Rules, c.Tests)
	}
	return b.Bytes()
}

func labels(ids []string, sep string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = attack.Label(id)
	}
	return strings.Join(out, ";"+sep)
}

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// TacticCoverage is how many rules map to one tactic and how many test events they have.
type TacticCoverage struct {
	Tactic string // a tactic ID, or "" for rules that name none
	Rules  int
	Tests  int
}

// Coverage counts rules and test events per tactic (a rule with two tactics counts for
// both), in the ATT&CK matrix's order; rules naming no tactic are counted under "".
func Coverage(rules []*Rule) []TacticCoverage {
	by := map[string]*TacticCoverage{}
	var order []string
	for _, r := range rules {
		tactics, _ := attack.Split(r.Attack)
		if len(tactics) == 0 {
			tactics = []string{""}
		}
		for _, t := range tactics {
			c := by[t]
			if c == nil {
				c = &TacticCoverage{Tactic: t}
				by[t] = c
				order = append(order, t)
			}
			c.Rules++
			c.Tests += len(r.Tests)
		}
	}
	attack.SortTactics(order)
	out := make([]TacticCoverage, len(order))
	for i, t := range order {
		out[i] = *by[t]
	}
	return out
}

package rules

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/rules/attack"
)

// Rule is one detection as its YAML file states it.
type Rule struct {
	// ID names the rule; it is the kind of every alert the rule raises, the name DISABLED_RULES
	// switches it off by, and (with the event ID) what deduplicates the real-time and log-file paths.
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Severity    alert.Severity `yaml:"severity"`
	Description string         `yaml:"description"`
	// Attack lists the MITRE ATT&CK tactic and technique IDs the rule detects
	// ([TA0005, T1562.008]), so an alert says what the attacker is doing in the responder's terms.
	Attack []string `yaml:"attack"`
	// Runbook is the first things a responder checks, one step per entry, shown in the email.
	Runbook []string `yaml:"runbook"`
	// When is the CEL condition over `event`; it must be a bool expression.
	When string `yaml:"when"`
	// Fingerprint lists the field paths (userIdentity.arn, requestParameters.bucketName) that,
	// beyond kind, account, principal and source IP, make two hits the same finding.
	Fingerprint []string `yaml:"fingerprint"`
	// Threshold and Window, set together, hold the alert back until Threshold hits of one
	// fingerprint fall in one Window (fixed windows on event time).
	Threshold int    `yaml:"threshold"`
	Window    string `yaml:"window"`
	// Distinct (a field path, with Threshold and Window) counts distinct values of that field
	// instead of hits: the alert goes out when Threshold different values (secret IDs,
	// instance IDs…) are seen for one fingerprint in one window, and lists them.
	Distinct string `yaml:"distinct"`
	// Tally (field paths, with Threshold and Window) makes the alert of a threshold rule list
	// the values of these fields over the window's hits, joined with ":" and counted
	// (ec2.amazonaws.com:RunInstances ×4), so the responder sees what the burst was made of.
	Tally []string `yaml:"tally"`
	Tests []Test   `yaml:"tests"`

	// File and Line say where the rule was read, for error messages.
	File string `yaml:"-"`
	Line int    `yaml:"-"`

	window time.Duration
}

// Test is one test event of a rule and whether the rule must match it.
type Test struct {
	Name   string    `yaml:"name"`
	Expect *bool     `yaml:"expect"`
	Event  yaml.Node `yaml:"event"`
	Line   int       `yaml:"-"`
}

// Limits of threshold rules: the counter of one window holds at most Threshold event IDs
// (or distinct values).
const (
	MaxThreshold = 1000
	MinWindow    = time.Minute
	MaxWindow    = 24 * time.Hour
	// MaxRunbook steps: the email shows them all, so they stay the first few things to check.
	MaxRunbook = 5
	// MaxTally fields make one tally value.
	MaxTally = 3
)

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// fieldPathPattern is a dotted path of CEL identifiers.
var fieldPathPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// RuleError is a problem with one rule, located by file, line and rule id.
type RuleError struct {
	File   string
	Line   int
	RuleID string
	Err    error
}

func (e *RuleError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	id := e.RuleID
	if id == "" {
		id = "(no id)"
	}
	return fmt.Sprintf("%s: rule %s: %v", loc, id, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

func (r *Rule) errorf(format string, args ...any) error {
	return &RuleError{File: r.File, Line: r.Line, RuleID: r.ID, Err: fmt.Errorf(format, args...)}
}

// validate checks everything about a rule but its CEL, which Compile checks.
func (r *Rule) validate() error {
	switch {
	case r.ID == "":
		return r.errorf("id: missing")
	case len(r.ID) > 64 || !idPattern.MatchString(r.ID):
		return r.errorf("id: %q: want lowercase letters, digits and single dashes, at most 64 characters", r.ID)
	case strings.TrimSpace(r.Title) == "":
		return r.errorf("title: missing")
	case strings.TrimSpace(r.When) == "":
		return r.errorf("when: missing")
	}
	switch r.Severity {
	case alert.High, alert.Medium, alert.Low:
	case "":
		return r.errorf("severity: missing (want HIGH, MEDIUM or LOW)")
	default:
		return r.errorf("severity: %q: want HIGH, MEDIUM or LOW", r.Severity)
	}
	for i, p := range r.Fingerprint {
		if !fieldPathPattern.MatchString(p) {
			return r.errorf("fingerprint[%d]: %q is not a field path such as userIdentity.arn", i, p)
		}
	}
	if err := r.validateThreshold(); err != nil {
		return err
	}
	if err := r.validateAttack(); err != nil {
		return err
	}
	if len(r.Runbook) > MaxRunbook {
		return r.errorf("runbook: %d steps: want 1 to %d, the first things a responder checks", len(r.Runbook), MaxRunbook)
	}
	for i, step := range r.Runbook {
		if strings.TrimSpace(step) == "" {
			return r.errorf("runbook[%d]: empty step", i)
		}
	}
	for i, t := range r.Tests {
		switch {
		case strings.TrimSpace(t.Name) == "":
			return r.errorf("tests[%d]: name: missing", i)
		case t.Expect == nil:
			return r.errorf("test %q: expect: missing (want true or false)", t.Name)
		case t.Event.Kind == 0:
			return r.errorf("test %q: event: missing", t.Name)
		}
	}
	return nil
}

// validateAttack: an attack list, when given, names at least one known tactic and at least
// one technique (well-formed; the built-in pack's test also wants it named in package attack).
func (r *Rule) validateAttack() error {
	if r.Attack == nil {
		return nil
	}
	var tactics, techniques int
	for i, id := range r.Attack {
		switch {
		case attack.IsTactic(id):
			if attack.Tactics[id] == "" {
				return r.errorf("attack[%d]: %q is not an ATT&CK Enterprise tactic (TA0001 Initial Access … TA0040 Impact)", i, id)
			}
			tactics++
		case attack.IsTechnique(id):
			techniques++
		default:
			return r.errorf("attack[%d]: %q: want a tactic ID (TA0005) or a technique ID (T1562 or T1562.008)", i, id)
		}
	}
	if tactics == 0 || techniques == 0 {
		return r.errorf("attack: want at least one tactic (TA0005) and one technique (T1562.008), got %v", r.Attack)
	}
	return nil
}

func (r *Rule) validateThreshold() error {
	if r.Distinct != "" && !fieldPathPattern.MatchString(r.Distinct) {
		return r.errorf("distinct: %q is not a field path such as requestParameters.secretId", r.Distinct)
	}
	if len(r.Tally) > MaxTally {
		return r.errorf("tally: %d fields: want at most %d", len(r.Tally), MaxTally)
	}
	for i, p := range r.Tally {
		if !fieldPathPattern.MatchString(p) {
			return r.errorf("tally[%d]: %q is not a field path such as eventName", i, p)
		}
	}
	if r.Threshold == 0 && r.Window == "" {
		switch {
		case r.Distinct != "":
			return r.errorf("distinct: needs threshold and window (alert when that many distinct values are seen in one window)")
		case len(r.Tally) > 0:
			return r.errorf("tally: needs threshold and window (it lists what the window's hits were)")
		}
		return nil
	}
	if r.Distinct != "" && len(r.Tally) > 0 {
		return r.errorf("tally: not with distinct (the alert of a distinct rule lists the distinct values already)")
	}
	if r.Threshold < 2 || r.Threshold > MaxThreshold {
		return r.errorf("threshold: %d: want 2 to %d with a window (without them every hit alerts)", r.Threshold, MaxThreshold)
	}
	if r.Window == "" {
		return r.errorf("window: missing (a threshold counts hits inside a window, e.g. 10m)")
	}
	w, err := time.ParseDuration(r.Window)
	if err != nil {
		return r.errorf("window: %q: %v", r.Window, err)
	}
	if w < MinWindow || w > MaxWindow || w%time.Minute != 0 {
		return r.errorf("window: %s: want whole minutes from %s to %s", w, MinWindow, MaxWindow)
	}
	r.window = w
	return nil
}

// WindowDuration is the parsed Window (0 for a rule without threshold).
func (r *Rule) WindowDuration() time.Duration { return r.window }

// HasThreshold reports whether the rule alerts only from Threshold hits in a window.
func (r *Rule) HasThreshold() bool { return r.Threshold > 0 }

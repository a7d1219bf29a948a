package rules

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trailguard/trailguard/shared/alert"
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
	Tests     []Test `yaml:"tests"`

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

// Limits of threshold rules: the counter of one window holds at most Threshold event IDs.
const (
	MaxThreshold = 1000
	MinWindow    = time.Minute
	MaxWindow    = 24 * time.Hour
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

func (r *Rule) validateThreshold() error {
	if r.Threshold == 0 && r.Window == "" {
		return nil
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

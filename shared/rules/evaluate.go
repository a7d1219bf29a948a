package rules

import (
	"errors"
	"fmt"
	"strings"

	json "github.com/goccy/go-json"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/trailguard/trailguard/shared/trail"
)

// Match is one rule that matched one record.
type Match struct {
	Rule *Rule
	// Fingerprint holds the values of Rule.Fingerprint's paths, in order ("" where absent).
	Fingerprint []string
	// Distinct is the value of Rule.Distinct's path ("" where absent); Tally the values of
	// Rule.Tally's paths joined with ":".
	Distinct, Tally string
}

// EvalError is a rule that could not be evaluated on one record: it neither matched nor did
// not match, so callers must not treat it as "no alert".
type EvalError struct {
	RuleID  string
	File    string
	EventID string
	Err     error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("rule %s (%s) on event %s: %v", e.RuleID, e.File, e.EventID, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// activation binds `event` for one evaluation of every rule.
type activation struct{ ev *eventValue }

func (a *activation) ResolveName(name string) (any, bool) {
	if name == "event" {
		return a.ev, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// Evaluate runs every enabled rule over one record and returns the rules that matched. A rule
// that fails to evaluate (it read a payload key the record lacks without has() or getOr(), say)
// is reported in the error as an *EvalError, joined with the others; the matches of the
// other rules are returned all the same.
func (e *Engine) Evaluate(rec *trail.Record) ([]Match, error) {
	act := &activation{ev: &eventValue{rec: rec, trees: e.treesFor(rec.EventName)}}
	var matches []Match
	var errs []error
	var key []byte
	for c := range e.admitted(rec) { // the others cannot match (prefilter.go)
		var matched bool
		var err error
		if c.partial && !e.wholePayloads { // its verdict is known when its inputs were seen (verdicts.go); whole: the tests' uncached reference
			matched, key, err = c.evalCached(act, key)
		} else {
			matched, err = c.eval(act)
		}
		if err != nil {
			errs = append(errs, &EvalError{RuleID: c.rule.ID, File: c.rule.File, EventID: rec.EventID, Err: err})
			continue
		}
		if matched {
			matches = append(matches, c.match(act))
		}
	}
	return matches, errors.Join(errs...)
}

// match is the rule's Match on a record it matched: its fingerprint, distinct and tally values.
func (c *compiledRule) match(act *activation) Match {
	m := Match{Rule: c.rule, Fingerprint: c.fingerprintValues(act)}
	if c.distinct != nil {
		m.Distinct = pathValue(c.distinct, act)
	}
	if len(c.tally) > 0 {
		parts := make([]string, len(c.tally))
		for i, prg := range c.tally {
			parts[i] = pathValue(prg, act)
		}
		m.Tally = strings.Join(parts, ":")
	}
	return m
}

// eval runs the rule's condition.
func (c *compiledRule) eval(act *activation) (bool, error) {
	out, _, err := c.when.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("when: evaluated to %s, want bool", out.Type().TypeName())
	}
	return bool(b), nil
}

// fingerprintValues reads the fingerprint paths; an absent one is "".
func (c *compiledRule) fingerprintValues(act *activation) []string {
	if len(c.fingerprint) == 0 {
		return nil
	}
	out := make([]string, len(c.fingerprint))
	for i, prg := range c.fingerprint {
		out[i] = pathValue(prg, act)
	}
	return out
}

// pathValue reads one compiled field path; an absent one is "".
func pathValue(prg cel.Program, act *activation) string {
	v, _, err := prg.Eval(act)
	if err != nil {
		return ""
	}
	return valueString(v)
}

// valueString renders a CEL value for a fingerprint or an alert detail: strings as they are,
// anything else as JSON.
func valueString(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return string(x)
	case types.Null:
		return ""
	}
	b, err := json.Marshal(toNative(v))
	if err != nil {
		return fmt.Sprint(v.Value())
	}
	return string(b)
}

// toNative converts a CEL value to plain Go values that encode as the JSON they came from.
func toNative(v ref.Val) any {
	switch x := v.(type) {
	case types.Null:
		return nil
	case traits.Lister:
		var out []any
		for it := x.Iterator(); it.HasNext() == types.True; {
			out = append(out, toNative(it.Next()))
		}
		return out
	case traits.Mapper:
		out := map[string]any{}
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			out[fmt.Sprint(k.Value())] = toNative(x.Get(k))
		}
		return out
	}
	return v.Value()
}

package rules

import (
	"bytes"
	"errors"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestResult is the outcome of one test event of a rule.
type TestResult struct {
	Name   string
	Line   int
	Expect bool
	Got    bool
	// Err is set when the test event did not decode or the rule failed to evaluate on it.
	Err error
}

// Passed reports whether the rule decided the test event as expected.
func (t TestResult) Passed() bool { return t.Err == nil && t.Got == t.Expect }

// Report is the outcome of one rule's tests.
type Report struct {
	Rule    *Rule
	Results []TestResult
	// Missing names what the rule lacks: a rule needs at least one test it must match and
	// one it must not.
	Missing []string
}

// Passed reports whether every test passed and none is missing.
func (r Report) Passed() bool {
	if len(r.Missing) > 0 {
		return false
	}
	for _, t := range r.Results {
		if !t.Passed() {
			return false
		}
	}
	return true
}

// RunTests runs every test event of every compiled rule through that rule's condition (a
// threshold rule's tests say whether the event counts toward its threshold).
func (e *Engine) RunTests() []Report {
	reports := make([]Report, 0, len(e.rules))
	for _, c := range e.rules {
		rep := Report{Rule: c.rule}
		var pos, neg bool
		for _, t := range c.rule.Tests {
			res := TestResult{Name: t.Name, Line: t.Line, Expect: *t.Expect}
			if *t.Expect {
				pos = true
			} else {
				neg = true
			}
			rec, err := testRecord(t)
			if err == nil {
				res.Got, err = c.eval(&activation{ev: &eventValue{rec: rec}})
				// The prefilter skips the rule only where it is false: a test event it
				// skips the condition matches (or fails on) shows a prefilter bug.
				if (res.Got || err != nil) && c.filter.eval(rec) == isFalse {
					err = errors.Join(err, errors.New("the prefilter derived from the condition skips this event, which the condition does not find false: a trailguard bug"))
				}
			}
			res.Err = err
			rep.Results = append(rep.Results, res)
		}
		if !pos {
			rep.Missing = append(rep.Missing, "a test with expect: true")
		}
		if !neg {
			rep.Missing = append(rep.Missing, "a test with expect: false")
		}
		reports = append(reports, rep)
	}
	return reports
}

// testRecord decodes a test's event: a bare CloudTrail record, or an EventBridge event
// (it has detail-type) carrying one in detail.
func testRecord(t Test) (*trail.Record, error) {
	var v any
	if err := t.Event.Decode(&v); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("event: not expressible as JSON: %w", err)
	}
	return DecodeRecordOrEvent(raw)
}

// DecodeRecordOrEvent decodes a CloudTrail record given bare or inside an EventBridge event.
func DecodeRecordOrEvent(raw []byte) (*trail.Record, error) {
	if bytes.Contains(raw, []byte(`"detail-type"`)) {
		ev, err := trail.DecodeEvent(raw)
		if err != nil {
			return nil, err
		}
		return ev.Detail, nil
	}
	return trail.DecodeRecord(raw)
}

// Summary is a one-line verdict per failing test or missing test, for logs and CI output.
func (r Report) Summary() []string {
	var out []string
	for _, m := range r.Missing {
		out = append(out, fmt.Sprintf("%s: rule %s: missing %s", r.Rule.File, r.Rule.ID, m))
	}
	for _, t := range r.Results {
		switch {
		case t.Err != nil:
			out = append(out, fmt.Sprintf("%s:%d: rule %s: test %q: error: %v", r.Rule.File, t.Line, r.Rule.ID, t.Name, t.Err))
		case t.Got != t.Expect:
			out = append(out, fmt.Sprintf("%s:%d: rule %s: test %q: expected %t, got %t", r.Rule.File, t.Line, r.Rule.ID, t.Name, t.Expect, t.Got))
		}
	}
	return out
}

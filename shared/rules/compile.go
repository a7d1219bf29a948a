package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/trailguard/trailguard/shared/alert"
)

// Engine holds the compiled, enabled rules. It is immutable and safe for concurrent use.
type Engine struct {
	rules []*compiledRule
	index prefilterIndex // which rules a record's event name leaves possible
	// trees: per event name, the payload paths the rules that may run on it read (paths.go);
	// otherTrees for names no rule pins. wholePayloads turns them off (tests compare).
	trees         map[string]*payloadTrees
	otherTrees    *payloadTrees
	wholePayloads bool
	// prints: the fingerprints of recent findings, so the repeats of one (a log file's
	// folds, a threshold's counts) are not hashed again record after record.
	prints *alert.FingerprintMemo
}

type compiledRule struct {
	rule        *Rule
	when        cel.Program
	fingerprint []cel.Program
	filter      *cond         // the condition read on PrefilterFields alone (prefilter.go)
	distinct    cel.Program   // nil unless Rule.Distinct
	tally       []cel.Program // Rule.Tally's paths
	// foldable: the rule's alert is known from PrefilterFields when its filter is true, its
	// fingerprint's values read from foldBy (Detector.Fingerprints).
	foldable bool
	foldBy   []field
	// reads: what the rule's expressions read of the record (paths.go); partial: its
	// condition reads PrefilterFields and payload paths only (Detector.Known); partialAll: so
	// do its fingerprint, distinct and tally paths (Detector.Known).
	reads      reads
	partial    bool
	partialAll bool
	// whenReads: what the condition alone reads; verdicts: its recent outcomes by those
	// inputs, for a partial rule (verdicts.go).
	whenReads reads
	verdicts  *verdictCache
}

// Options are what a deployment tells the rules beyond the rules themselves.
type Options struct {
	// Trusted is the organization's accounts, for externalAccount (TRUSTED_ACCOUNTS).
	Trusted TrustedAccounts
}

// Compile type-checks and compiles every rule with no trusted account (every account but the
// event's own is outside); see CompileWith.
func Compile(rules []*Rule) (*Engine, error) { return CompileWith(rules, Options{}) }

// CompileWith type-checks and compiles every rule. Rule ids must be unique. Every rule that
// does not compile is reported (file, line, rule id, CEL error), and no engine is returned: a
// function never runs with part of its rules.
func CompileWith(rules []*Rule, opts Options) (*Engine, error) {
	env, _, err := newEnv(opts.Trusted)
	if err != nil {
		return nil, err
	}
	e := &Engine{prints: &alert.FingerprintMemo{}}
	seen := map[string]*Rule{}
	var errs []error
	for _, r := range rules {
		if prev, dup := seen[r.ID]; dup {
			errs = append(errs, r.errorf("id also used by the rule at %s:%d", prev.File, prev.Line))
			continue
		}
		seen[r.ID] = r
		c, err := compileRule(env, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.rules = append(e.rules, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e.index = newPrefilterIndex(e.rules)
	e.trees, e.otherTrees = payloadTreesByName(e.rules, e.index)
	return e, nil
}

func compileRule(env *cel.Env, r *Rule) (*compiledRule, error) {
	if err := r.validate(); err != nil { // Parse did; a Rule built in code may not have
		return nil, err
	}
	checked, err := checkExpr(env, r.When, true)
	if err != nil {
		return nil, r.errorf("when: %v", err)
	}
	when, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, r.errorf("when: %v", err)
	}
	c := &compiledRule{rule: r, when: when, filter: condOf(checked)}
	c.foldBy, c.foldable = foldFields(r)
	c.reads.add(checked)
	c.partial = !c.reads.other
	c.whenReads.add(checked)
	c.verdicts = &verdictCache{}
	for i, p := range r.Fingerprint {
		prg, err := compilePath(env, p, &c.reads)
		if err != nil {
			return nil, r.errorf("fingerprint[%d] %s: %v", i, p, err)
		}
		c.fingerprint = append(c.fingerprint, prg)
	}
	if r.Distinct != "" {
		if c.distinct, err = compilePath(env, r.Distinct, &c.reads); err != nil {
			return nil, r.errorf("distinct %s: %v", r.Distinct, err)
		}
	}
	for i, p := range r.Tally {
		prg, err := compilePath(env, p, &c.reads)
		if err != nil {
			return nil, r.errorf("tally[%d] %s: %v", i, p, err)
		}
		c.tally = append(c.tally, prg)
	}
	c.partialAll = !c.reads.other
	return c, nil
}

// compilePath compiles a field path (userIdentity.arn) as a read of event, adding what it
// reads to rd.
func compilePath(env *cel.Env, p string, rd *reads) (cel.Program, error) {
	ast, err := checkExpr(env, "event."+strings.TrimPrefix(p, "event."), false)
	if err != nil {
		return nil, err
	}
	rd.add(ast)
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize))
}

// checkExpr parses and type-checks expr.
func checkExpr(env *cel.Env, expr string, wantBool bool) (*cel.Ast, error) {
	ast, iss := env.Compile(expr)
	if err := iss.Err(); err != nil {
		return nil, err
	}
	if wantBool {
		if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
			return nil, fmt.Errorf("want a bool expression, this one is %s", t)
		}
	}
	return ast, nil
}

// Rules returns the compiled rules, in load order.
func (e *Engine) Rules() []*Rule {
	out := make([]*Rule, len(e.rules))
	for i, c := range e.rules {
		out[i] = c.rule
	}
	return out
}

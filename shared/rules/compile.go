package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
)

// Engine holds the compiled, enabled rules. It is immutable and safe for concurrent use.
type Engine struct {
	rules []*compiledRule
}

type compiledRule struct {
	rule        *Rule
	when        cel.Program
	fingerprint []cel.Program
}

// Compile type-checks and compiles every rule. Rule ids must be unique. Every rule that does
// not compile is reported (file, line, rule id, CEL error), and no engine is returned: a
// function never runs with part of its rules.
func Compile(rules []*Rule) (*Engine, error) {
	env, _, err := newEnv()
	if err != nil {
		return nil, err
	}
	e := &Engine{}
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
	return e, nil
}

func compileRule(env *cel.Env, r *Rule) (*compiledRule, error) {
	if err := r.validate(); err != nil { // Parse did; a Rule built in code may not have
		return nil, err
	}
	when, err := compileExpr(env, r.When, true)
	if err != nil {
		return nil, r.errorf("when: %v", err)
	}
	c := &compiledRule{rule: r, when: when}
	for i, p := range r.Fingerprint {
		prg, err := compileExpr(env, "event."+strings.TrimPrefix(p, "event."), false)
		if err != nil {
			return nil, r.errorf("fingerprint[%d] %s: %v", i, p, err)
		}
		c.fingerprint = append(c.fingerprint, prg)
	}
	return c, nil
}

func compileExpr(env *cel.Env, expr string, wantBool bool) (cel.Program, error) {
	ast, iss := env.Compile(expr)
	if err := iss.Err(); err != nil {
		return nil, err
	}
	if wantBool {
		if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
			return nil, fmt.Errorf("want a bool expression, this one is %s", t)
		}
	}
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize))
}

// Rules returns the compiled rules, in load order.
func (e *Engine) Rules() []*Rule {
	out := make([]*Rule, len(e.rules))
	for i, c := range e.rules {
		out[i] = c.rule
	}
	return out
}

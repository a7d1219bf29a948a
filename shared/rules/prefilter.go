package rules

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// prefilter is what a rule's condition demands of the record's eventSource and eventName,
// read from its top-level conjuncts (`event.eventSource == "iam.amazonaws.com" &&
// event.eventName in ["CreateUser", …] && …`). A record outside either set cannot match (a
// false conjunct makes the && false, errors included), so the rule is not run on it: most
// rules name their calls, and most records are none of them. nil sets constrain nothing.
type prefilter struct {
	sources, names map[string]bool
}

// allows reports whether the rule could match a record with this source and name.
func (p prefilter) allows(source, name string) bool {
	return (p.sources == nil || p.sources[source]) && (p.names == nil || p.names[name])
}

func prefilterOf(checked *cel.Ast) prefilter {
	var p prefilter
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		if e.Kind() != ast.CallKind {
			return
		}
		call := e.AsCall()
		args := call.Args()
		switch call.FunctionName() {
		case operators.LogicalAnd:
			for _, a := range args {
				walk(a)
			}
		case operators.Equals:
			if len(args) != 2 {
				return
			}
			for i := range 2 {
				if field := eventField(args[i]); field != "" {
					if s, ok := stringLiteral(args[1-i]); ok {
						p.set(field, map[string]bool{s: true})
					}
				}
			}
		case operators.In:
			if len(args) != 2 || args[1].Kind() != ast.ListKind {
				return
			}
			field := eventField(args[0])
			if field == "" {
				return
			}
			set := map[string]bool{}
			for _, el := range args[1].AsList().Elements() {
				s, ok := stringLiteral(el)
				if !ok {
					return // not all literals: no constraint
				}
				set[s] = true
			}
			p.set(field, set)
		}
	}
	walk(checked.NativeRep().Expr())
	return p
}

// set records a constraint; a second one on the same field keeps the first (either is a
// correct filter).
func (p *prefilter) set(field string, vals map[string]bool) {
	switch {
	case field == "eventSource" && p.sources == nil:
		p.sources = vals
	case field == "eventName" && p.names == nil:
		p.names = vals
	}
}

// eventField is "eventSource" or "eventName" when e reads that field of `event`.
func eventField(e ast.Expr) string {
	if e.Kind() != ast.SelectKind {
		return ""
	}
	sel := e.AsSelect()
	if sel.IsTestOnly() || sel.Operand().Kind() != ast.IdentKind || sel.Operand().AsIdent() != "event" {
		return ""
	}
	if f := sel.FieldName(); f == "eventSource" || f == "eventName" {
		return f
	}
	return ""
}

func stringLiteral(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

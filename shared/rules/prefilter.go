package rules

import (
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"

	"github.com/trailguard/trailguard/shared/trail"
)

// A prefilter is what a rule's condition demands of a few plain string fields of the record
// (PrefilterFields), derived from its type-checked CEL: the condition is read again in a
// three-valued logic over those fields alone, where every part that reads anything else is
// "unknown". A rule whose prefilter comes out false on a record cannot match it: CEL's && is
// false when any operand is false, whatever the others (errors included), || only when all
// are, and the leaves the prefilter knows (==, !=, in a literal list, startsWith, endsWith,
// contains, missing, has) read typed string fields, which never fail. So a rule is skipped,
// never reported as undecided, only where evaluating it would have said false. Most rules name
// their calls, and most records are none of them; the log-file path uses this to decode in
// full only the records some rule could match (Engine.Admits).

// field is one of PrefilterFields.
type field uint8

const (
	fEventSource field = iota
	fEventName
	fEventType
	fErrorCode
	fSourceIPAddress
	fRecipientAccountID
	fIdentityType
	fIdentityARN
	fIdentityPrincipalID
	fIdentityAccountID
	fIdentityUserName
	fIdentityInvokedBy
	numFields
)

// PrefilterFields are the record fields a prefilter may read, as paths of `event`: plain
// strings a log-file parser can keep in the pass that validates a record (counters.Parser
// does), so the rules can be asked whether a record is worth decoding in full before it is.
// Whoever hands Engine.Admits a record filled only in part must fill all of these, with the
// values trail.DecodeRecord would give them (PrefilterValues says which those are).
var PrefilterFields = [numFields]string{
	"eventSource", "eventName", "eventType", "errorCode", "sourceIPAddress", "recipientAccountId",
	"userIdentity.type", "userIdentity.arn", "userIdentity.principalId", "userIdentity.accountId",
	"userIdentity.userName", "userIdentity.invokedBy",
}

// PrefilterValues returns rec's values of PrefilterFields, in order: a parser that fills a
// partial record for Engine.Admits must agree with trail.DecodeRecord on these (its tests
// compare them).
func PrefilterValues(rec *trail.Record) [numFields]string {
	var out [numFields]string
	for f := range numFields {
		out[f] = fieldValue(rec, f)
	}
	return out
}

func fieldValue(rec *trail.Record, f field) string {
	switch f {
	case fEventSource:
		return rec.EventSource
	case fEventName:
		return rec.EventName
	case fEventType:
		return rec.EventType
	case fErrorCode:
		return rec.ErrorCode
	case fSourceIPAddress:
		return rec.SourceIPAddress
	case fRecipientAccountID:
		return rec.RecipientAccountID
	case fIdentityType:
		return rec.UserIdentity.Type
	case fIdentityARN:
		return rec.UserIdentity.ARN
	case fIdentityPrincipalID:
		return rec.UserIdentity.PrincipalID
	case fIdentityAccountID:
		return rec.UserIdentity.AccountID
	case fIdentityUserName:
		return rec.UserIdentity.UserName
	default:
		return rec.UserIdentity.InvokedBy
	}
}

// fieldOf is the prefilter field e reads (event.eventName, event.userIdentity.type), if any.
func fieldOf(e ast.Expr) (field, bool) {
	if e.Kind() != ast.SelectKind || e.AsSelect().IsTestOnly() {
		return 0, false
	}
	return fieldAt(e.AsSelect().Operand(), e.AsSelect().FieldName())
}

// fieldAt is the prefilter field that selecting name from op reads, if any.
func fieldAt(op ast.Expr, name string) (field, bool) {
	path := name
	if op.Kind() == ast.SelectKind && !op.AsSelect().IsTestOnly() {
		path = op.AsSelect().FieldName() + "." + path
		op = op.AsSelect().Operand()
	}
	if op.Kind() != ast.IdentKind || op.AsIdent() != "event" {
		return 0, false
	}
	for f, p := range PrefilterFields {
		if p == path {
			return field(f), true
		}
	}
	return 0, false
}

// tri is a three-valued truth: a condition part is false, true, or not known from the
// prefilter's fields alone (which includes an error).
type tri uint8

const (
	unknown tri = iota
	isFalse
	isTrue
)

func triOf(b bool) tri {
	if b {
		return isTrue
	}
	return isFalse
}

type op uint8

const (
	opUnknown  op = iota
	opConst       // lit "true" or ""
	opAnd         // args
	opOr          // args
	opNot         // args[0]
	opIf          // args[0] ? args[1] : args[2]
	opEq          // field == lit
	opIn          // field in set
	opPrefix      // field.startsWith(lit)
	opSuffix      // field.endsWith(lit)
	opContains    // field.contains(lit)
)

// cond is a rule's condition as the prefilter reads it.
type cond struct {
	op    op
	args  []*cond
	field field
	lit   string
	set   map[string]bool
}

var unknownCond = &cond{op: opUnknown}

// eval is the condition's truth on rec's PrefilterFields.
func (c *cond) eval(rec *trail.Record) tri {
	switch c.op {
	case opConst:
		return triOf(c.lit != "")
	case opAnd:
		out := isTrue
		for _, a := range c.args {
			switch a.eval(rec) {
			case isFalse:
				return isFalse
			case unknown:
				out = unknown
			}
		}
		return out
	case opOr:
		out := isFalse
		for _, a := range c.args {
			switch a.eval(rec) {
			case isTrue:
				return isTrue
			case unknown:
				out = unknown
			}
		}
		return out
	case opNot:
		switch c.args[0].eval(rec) {
		case isTrue:
			return isFalse
		case isFalse:
			return isTrue
		}
		return unknown
	case opIf:
		switch c.args[0].eval(rec) {
		case isTrue:
			return c.args[1].eval(rec)
		case isFalse:
			return c.args[2].eval(rec)
		}
		// A condition not known may fail, and then so does the whole (CEL's ?: is strict in
		// its condition): not known either, whatever the branches.
		return unknown
	case opEq:
		return triOf(fieldValue(rec, c.field) == c.lit)
	case opIn:
		return triOf(c.set[fieldValue(rec, c.field)])
	case opPrefix:
		return triOf(strings.HasPrefix(fieldValue(rec, c.field), c.lit))
	case opSuffix:
		return triOf(strings.HasSuffix(fieldValue(rec, c.field), c.lit))
	case opContains:
		return triOf(strings.Contains(fieldValue(rec, c.field), c.lit))
	}
	return unknown
}

// condOf reads a checked condition as a cond; what it does not know is unknown.
func condOf(checked *cel.Ast) *cond { return condOfExpr(checked.NativeRep().Expr()) }

func condOfExpr(e ast.Expr) *cond {
	switch e.Kind() {
	case ast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			if b {
				return &cond{op: opConst, lit: "true"}
			}
			return &cond{op: opConst}
		}
		return unknownCond
	case ast.SelectKind:
		// has(event.f) of a string field is f != "" (a typed string field is set when not
		// empty: schema.go).
		if sel := e.AsSelect(); sel.IsTestOnly() {
			if f, ok := fieldAt(sel.Operand(), sel.FieldName()); ok {
				return not(&cond{op: opEq, field: f})
			}
		}
		return unknownCond
	case ast.CallKind:
	default:
		return unknownCond
	}
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case operators.LogicalAnd, operators.LogicalOr:
		c := &cond{op: opAnd}
		if call.FunctionName() == operators.LogicalOr {
			c.op = opOr
		}
		for _, a := range args {
			if ac := condOfExpr(a); ac.op == c.op { // a && (b && c): one and(a, b, c)
				c.args = append(c.args, ac.args...)
			} else {
				c.args = append(c.args, ac)
			}
		}
		return c
	case operators.LogicalNot:
		if len(args) == 1 {
			return not(condOfExpr(args[0]))
		}
	case operators.Conditional:
		if len(args) == 3 {
			return &cond{op: opIf, args: []*cond{condOfExpr(args[0]), condOfExpr(args[1]), condOfExpr(args[2])}}
		}
	case operators.Equals, operators.NotEquals:
		if len(args) != 2 {
			break
		}
		for i := range 2 {
			if f, ok := fieldOf(args[i]); ok {
				if s, ok := literal(args[1-i]); ok {
					c := &cond{op: opEq, field: f, lit: s}
					if call.FunctionName() == operators.NotEquals {
						return not(c)
					}
					return c
				}
			}
		}
	case operators.In:
		if len(args) != 2 || args[1].Kind() != ast.ListKind {
			break
		}
		f, ok := fieldOf(args[0])
		if !ok {
			break
		}
		set := map[string]bool{}
		for _, el := range args[1].AsList().Elements() {
			s, ok := literal(el)
			if !ok {
				return unknownCond // not all literals: not known
			}
			set[s] = true
		}
		return &cond{op: opIn, field: f, set: set}
	case overloads.StartsWith, overloads.EndsWith, overloads.Contains:
		if !call.IsMemberFunction() || len(args) != 1 {
			break
		}
		f, ok := fieldOf(call.Target())
		if !ok {
			break
		}
		s, ok := literal(args[0])
		if !ok {
			break
		}
		c := &cond{op: opPrefix, field: f, lit: s}
		switch call.FunctionName() {
		case overloads.EndsWith:
			c.op = opSuffix
		case overloads.Contains:
			c.op = opContains
		}
		return c
	case "missing":
		// missing(x) of a string field is x == "" (functions.go).
		if len(args) == 1 {
			if f, ok := fieldOf(args[0]); ok {
				return &cond{op: opEq, field: f}
			}
		}
	}
	return unknownCond
}

func not(c *cond) *cond {
	if c.op == opUnknown {
		return c
	}
	return &cond{op: opNot, args: []*cond{c}}
}

// literal is a string literal the prefilter can compare with a field as the parser keeps it:
// valid UTF-8 without U+FFFD, so a field whose bytes a decoder would have repaired (invalid
// UTF-8, a lone surrogate escape) compares the same raw or repaired.
func literal(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	if !ok || !utf8.ValidString(string(s)) || strings.ContainsRune(string(s), utf8.RuneError) {
		return "", false
	}
	return string(s), true
}

// names is the set of event names outside which c is false (nil: not pinned).
func (c *cond) names() map[string]bool { return c.pinned(fEventName) }

// pinned is the set of values of field f outside which c is false (nil: not pinned).
func (c *cond) pinned(f field) map[string]bool {
	switch c.op {
	case opEq:
		if c.field == f {
			return map[string]bool{c.lit: true}
		}
	case opIn:
		if c.field == f {
			return c.set
		}
	case opAnd: // false outside any pinned operand's names: outside their intersection
		var out map[string]bool
		for _, a := range c.args {
			n := a.pinned(f)
			if n == nil {
				continue
			}
			if out == nil {
				out = n
				continue
			}
			both := map[string]bool{}
			for k := range n {
				if out[k] {
					both[k] = true
				}
			}
			out = both
		}
		return out
	case opOr: // false outside all operands' names, when each has some
		out := map[string]bool{}
		for _, a := range c.args {
			n := a.pinned(f)
			if n == nil {
				return nil
			}
			for k := range n {
				out[k] = true
			}
		}
		return out
	}
	return nil
}

// prefilterIndex finds the rules a record's event name leaves possible: those whose
// condition pins the name to a set holding it, and those that pin none (unpinned). Of those,
// a rule whose condition pins another field (the event source of versioned Lambda names, a
// Root identity, an error code) is found by that field's value (bySecond), so a record is not
// run through every such rule: only the free ones pin nothing at all.
type prefilterIndex struct {
	byName   map[string][]int // rule indexes, ascending
	unpinned []int            // not pinned by name (the payload paths of every name)
	bySecond []secondIndex
	free     []int
}

// secondIndex finds rules not pinned by name by the value of another field they pin.
type secondIndex struct {
	field field
	rules map[string][]int // rule indexes, ascending
}

// secondFields are the fields a rule not pinned by name is indexed by, the first it pins.
var secondFields = [...]field{fEventSource, fIdentityType, fErrorCode, fEventType}

func newPrefilterIndex(rules []*compiledRule) prefilterIndex {
	x := prefilterIndex{byName: map[string][]int{}}
	second := map[field]map[string][]int{}
rule:
	for i, c := range rules {
		names := c.filter.names()
		if names == nil {
			x.unpinned = append(x.unpinned, i)
			for _, f := range secondFields {
				if vals := c.filter.pinned(f); vals != nil {
					if second[f] == nil {
						second[f] = map[string][]int{}
					}
					for v := range vals {
						second[f][v] = append(second[f][v], i)
					}
					continue rule
				}
			}
			x.free = append(x.free, i)
			continue
		}
		for n := range names {
			x.byName[n] = append(x.byName[n], i)
		}
	}
	for _, f := range secondFields {
		if second[f] != nil {
			x.bySecond = append(x.bySecond, secondIndex{field: f, rules: second[f]})
		}
	}
	return x
}

// admitted yields the rules whose prefilter admits rec, in rule order: of those its event
// name, its other pinned fields' values and nothing leave possible (prefilterIndex; each rule
// in one list), merged.
func (e *Engine) admitted(rec *trail.Record) iter.Seq[*compiledRule] {
	return func(yield func(*compiledRule) bool) {
		var lists [2 + len(secondFields)][]int
		lists[0], lists[1] = e.index.byName[rec.EventName], e.index.free
		n := 2
		for _, x := range e.index.bySecond {
			if l := x.rules[fieldValue(rec, x.field)]; len(l) > 0 {
				lists[n] = l
				n++
			}
		}
		for {
			best := -1
			for j := range n {
				if len(lists[j]) > 0 && (best < 0 || lists[j][0] < lists[best][0]) {
					best = j
				}
			}
			if best < 0 {
				return
			}
			i := lists[best][0]
			lists[best] = lists[best][1:]
			if c := e.rules[i]; c.filter.eval(rec) != isFalse && !yield(c) {
				return
			}
		}
	}
}

// Admits reports whether some rule could match a record with rec's PrefilterFields: when it
// says no, no rule matches the record and none fails on it, so the record need not be decoded
// any further. rec may be filled in part, PrefilterFields only (the log-file parser's view of
// a record); nothing else of it is read.
func (e *Engine) Admits(rec *trail.Record) bool {
	for range e.admitted(rec) {
		return true
	}
	return false
}

// Admitted returns the rules whose prefilter admits rec (PrefilterFields only are read), in
// rule order: the only rules that can match it.
func (e *Engine) Admitted(rec *trail.Record) []*Rule {
	var out []*Rule
	for c := range e.admitted(rec) {
		out = append(out, c.rule)
	}
	return out
}

// foldFields are the PrefilterFields a rule's fingerprint paths name, in order, when its
// alert on a record is known from those fields once its prefilter says true: it has no
// threshold (the alert waits on no count) and every fingerprint path is a PrefilterField.
func foldFields(r *Rule) ([]field, bool) {
	if r.HasThreshold() {
		return nil, false
	}
	out := make([]field, 0, len(r.Fingerprint))
	for _, p := range r.Fingerprint {
		f, ok := prefilterField(strings.TrimPrefix(p, "event."))
		if !ok {
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

func prefilterField(path string) (field, bool) {
	for f, p := range PrefilterFields {
		if p == path {
			return field(f), true
		}
	}
	return 0, false
}

// Fingerprints returns the fingerprints (alert.Alert.Fingerprint) of the alerts Detect would
// return for rec, in order, when rec's kept fields alone say what they are: every rule the
// prefilter admits is known true on PrefilterFields (so it matches, and fails on nothing),
// none has a threshold, each fingerprint path is one of PrefilterFields, and rec is not a
// sign-in (whose outcome, part of the fingerprint, is in its payload). ok is false otherwise,
// and when a value read is not valid UTF-8 or holds U+FFFD (a decoder may have repaired the
// bytes a parser kept), or no rule is admitted. rec may be filled in part: PrefilterFields,
// userIdentity.onBehalfOf and cloud (the rest of a fingerprint: trail.Record.Account,
// UserIdentity.Principal, Cloud), with the values trail.DecodeRecord gives them; it must pass
// trail.Record.Check. A caller that holds an alert of each of these fingerprints already (a
// log file folding repeats of one finding) need not decode rec at all. The fingerprints are
// appended to dst.
func (d *Detector) Fingerprints(rec *trail.Record, dst []string) (_ []string, ok bool) {
	if rec.EventType == "AwsConsoleSignIn" || rec.EventSource == "signin.amazonaws.com" { // alert.About's sign-ins
		return dst, false
	}
	e := d.Engine
	n := len(dst)
	for c := range e.admitted(rec) {
		if !c.foldable || c.filter.eval(rec) != isTrue {
			return dst[:n], false
		}
		dst = append(dst, e.keptFingerprint(c, rec))
	}
	if len(dst) == n || !cleanFields(rec) {
		return dst[:n], false
	}
	return dst, true
}

// cleanFields: every value Fingerprints reads is valid UTF-8 without U+FFFD, so it is the
// same raw as decoded.
func cleanFields(rec *trail.Record) bool {
	for f := range numFields {
		if !clean(fieldValue(rec, f)) {
			return false
		}
	}
	return clean(rec.Cloud) && (rec.UserIdentity.OnBehalfOf == nil || clean(rec.UserIdentity.OnBehalfOf.UserID))
}

func clean(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError)
		}
	}
	return true // ASCII, the common case
}

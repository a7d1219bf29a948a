package rules

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/trail"
)

// Payload paths: the service-specific payloads (requestParameters, responseElements, …) are
// dynamic JSON, and a rule reads a few keys of them (requestParameters.instanceType). Decoding
// a RunInstances response whole into maps to read one string costs more than all the rest of
// the record. So each rule's checked CEL is read for the payload paths it selects
// (event.requestParameters.instanceType, event.requestParameters["x-amz-…"]), and a payload
// is decoded only along the paths some rule that may run on the record reads: the value at
// the end of a path whole, the objects on the way with those keys only. Every other read of a
// payload (passed whole to a function, indexed by a computed key, iterated, sized) makes that
// payload decoded whole, as before. An expression that reaches a payload only through such
// paths sees the same values, the same absent keys (has, getOr, missing) and the same errors
// (a key selected from a string) as with the whole payload decoded.
//
// The same reading says which rules read nothing of the record but PrefilterFields and payload
// paths: those can be run on a record the log-file parser kept the fields of, with the paths
// read from its raw JSON, without decoding it (Detector.Known).

// pathTree is the part of one payload the rules read: whole, or the keys below it, or (elems)
// what is read of each element when it is a list a comprehension runs over
// (items.exists(i, i.instanceType …)).
type pathTree struct {
	whole bool
	keys  map[string]*pathTree
	elems *pathTree
	name  string // the key this node is reached by (its map key, reused for decoded maps)
}

// add makes the tree hold path (keys below this node); an empty path is the node whole.
func (t *pathTree) add(path []string) {
	if t.whole {
		return
	}
	if len(path) == 0 {
		t.whole, t.keys, t.elems = true, nil, nil
		return
	}
	if path[0] == elemsKey { // the elements; alone, none of their keys (yet)
		if t.elems == nil {
			t.elems = &pathTree{}
		}
		if len(path) > 1 {
			t.elems.add(path[1:])
		}
		return
	}
	if t.keys == nil {
		t.keys = map[string]*pathTree{}
	}
	c := t.keys[path[0]]
	if c == nil {
		c = &pathTree{name: path[0]}
		t.keys[path[0]] = c
	}
	c.add(path[1:])
}

// merge adds everything o holds.
func (t *pathTree) merge(o *pathTree) {
	if o == nil || t.whole {
		return
	}
	if o.whole {
		t.whole, t.keys, t.elems = true, nil, nil
		return
	}
	if o.elems != nil {
		if t.elems == nil {
			t.elems = &pathTree{}
		}
		t.elems.merge(o.elems)
	}
	if t.keys == nil && len(o.keys) > 0 {
		t.keys = map[string]*pathTree{}
	}
	for k, c := range o.keys {
		mine := t.keys[k]
		if mine == nil {
			mine = &pathTree{name: k}
			t.keys[k] = mine
		}
		mine.merge(c)
	}
}

// String renders the tree for tests and debugging: "*" whole, else {key:…,…} sorted.
func (t *pathTree) String() string {
	if t == nil {
		return "-"
	}
	if t.whole {
		return "*"
	}
	keys := make([]string, 0, len(t.keys))
	for k := range t.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + ":" + t.keys[k].String())
	}
	b.WriteByte('}')
	if t.elems != nil {
		b.WriteString("[" + t.elems.String() + "]")
	}
	return b.String()
}

// elemsKey marks, in a path, the elements of the list before it (never a key: pathKey
// refuses it, it is not valid UTF-8).
const elemsKey = "\xff[]"

// payloadTrees are the trees of the seven payloads; a nil entry is a payload not read.
type payloadTrees [numPayloads]*pathTree

func (p *payloadTrees) merge(o *payloadTrees) {
	for i, t := range o {
		if t == nil {
			continue
		}
		if p[i] == nil {
			p[i] = &pathTree{}
		}
		p[i].merge(t)
	}
}

// allWhole makes every payload decoded whole.
func (p *payloadTrees) allWhole() {
	for i := range p {
		p[i] = &pathTree{whole: true}
	}
}

// reads is what one rule's expressions read of `event`.
type reads struct {
	payloads payloadTrees
	// fields: the PrefilterFields read (a bit per field).
	fields uint16
	// other: something beyond PrefilterFields and payload paths (another field, an object,
	// event itself handed to a function).
	other bool
}

// readsOf adds what a checked expression reads.
func (r *reads) add(checked *cel.Ast) { r.walk(checked.NativeRep().Expr()) }

func (r *reads) walk(e ast.Expr) {
	if path, ok := eventPath(e); ok {
		r.path(path)
		return
	}
	switch e.Kind() {
	case ast.IdentKind:
		if e.AsIdent() == "event" { // event itself, to a function: it may read anything
			r.other = true
			r.payloads.allWhole()
		}
	case ast.SelectKind:
		r.walk(e.AsSelect().Operand())
	case ast.CallKind:
		call := e.AsCall()
		args := call.Args()
		// externalAccount(event, x) reads the event's account only (recipientAccountId, else
		// userIdentity.accountId: both PrefilterFields).
		if call.FunctionName() == "externalAccount" && !call.IsMemberFunction() && len(args) == 2 &&
			args[0].Kind() == ast.IdentKind && args[0].AsIdent() == "event" {
			r.fields |= 1<<fRecipientAccountID | 1<<fIdentityAccountID
			r.walk(args[1])
			return
		}
		if call.IsMemberFunction() {
			r.walk(call.Target())
		}
		for _, a := range args {
			r.walk(a)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			r.walk(el)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			m := en.AsMapEntry()
			r.walk(m.Key())
			r.walk(m.Value())
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			r.walk(f.AsStructField().Value())
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		if c.IterVar() == "event" || c.IterVar2() == "event" || c.AccuVar() == "event" {
			// event shadowed: whatever it names inside is not the record; read conservatively.
			r.other = true
			r.payloads.allWhole()
		}
		if !r.elements(c) {
			r.walk(c.IterRange())
		}
		r.walk(c.AccuInit())
		r.walk(c.LoopCondition())
		r.walk(c.LoopStep())
		r.walk(c.Result())
	}
}

// elements records what a comprehension over a payload path reads of each element, when it
// reads them through paths only: items.exists(i, getOr(i.instanceType, "") == "p2.xlarge")
// over getOr(event.responseElements.instancesSet.items, []) reads instanceType of each
// element. It reports whether it did (and walked the range); if not, the range is read as
// usual (whole where it is a path).
func (r *reads) elements(c ast.ComprehensionExpr) bool {
	if c.HasIterVar2() || c.AccuVar() == c.IterVar() {
		return false
	}
	rng := c.IterRange()
	var dflt ast.Expr
	if rng.Kind() == ast.CallKind && rng.AsCall().FunctionName() == "getOr" && !rng.AsCall().IsMemberFunction() && len(rng.AsCall().Args()) == 2 {
		rng, dflt = rng.AsCall().Args()[0], rng.AsCall().Args()[1]
	}
	path, ok := eventPath(rng)
	if !ok || rng.Kind() == ast.SelectKind && rng.AsSelect().IsTestOnly() {
		return false
	}
	var subs [][]string
	for _, body := range []ast.Expr{c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
		if !varPaths(body, c.IterVar(), &subs) {
			return false
		}
	}
	path = append(path, elemsKey)
	r.path(path) // the elements, even if none of their keys is read
	for _, sub := range subs {
		r.path(append(path[:len(path):len(path)], sub...))
	}
	if dflt != nil {
		r.walk(dflt)
	}
	return true
}

// varPaths adds to subs the paths e reads from the variable v, and reports whether v is read
// through paths only (never bare, never rebound by an inner comprehension).
func varPaths(e ast.Expr, v string, subs *[][]string) bool {
	if p, ok := chainPath(e, v); ok {
		*subs = append(*subs, p)
		return true
	}
	switch e.Kind() {
	case ast.IdentKind:
		return e.AsIdent() != v
	case ast.SelectKind:
		return varPaths(e.AsSelect().Operand(), v, subs)
	case ast.CallKind:
		call := e.AsCall()
		if call.IsMemberFunction() && !varPaths(call.Target(), v, subs) {
			return false
		}
		for _, a := range call.Args() {
			if !varPaths(a, v, subs) {
				return false
			}
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			if !varPaths(el, v, subs) {
				return false
			}
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			m := en.AsMapEntry()
			if !varPaths(m.Key(), v, subs) || !varPaths(m.Value(), v, subs) {
				return false
			}
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			if !varPaths(f.AsStructField().Value(), v, subs) {
				return false
			}
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		if c.IterVar() == v || c.IterVar2() == v || c.AccuVar() == v {
			return false
		}
		for _, x := range []ast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
			if !varPaths(x, v, subs) {
				return false
			}
		}
	}
	return true
}

// path records one path read from event (its first element is the event's field).
func (r *reads) path(path []string) {
	for i, name := range payloadNames {
		if path[0] == name {
			if r.payloads[i] == nil {
				r.payloads[i] = &pathTree{}
			}
			r.payloads[i].add(path[1:])
			return
		}
	}
	if f, ok := prefilterField(strings.Join(path, ".")); ok {
		r.fields |= 1 << f
	} else {
		r.other = true
	}
}

// eventPath is the path e reads from event: a chain of field selections (the last may be
// has()'s test) and indexes by string literals ending in the identifier event. Keys that a
// decoder could have produced from other bytes (not valid UTF-8, or holding U+FFFD) end no
// path: the chain stops before them, and reads the rest whole.
func eventPath(e ast.Expr) ([]string, bool) { return chainPath(e, "event") }

// chainPath is eventPath from the identifier root.
func chainPath(e ast.Expr, root string) ([]string, bool) {
	var rev []string
	for first := true; ; first = false {
		switch e.Kind() {
		case ast.IdentKind:
			if e.AsIdent() != root || len(rev) == 0 {
				return nil, false
			}
			path := make([]string, len(rev))
			for i, k := range rev {
				path[len(rev)-1-i] = k
			}
			return path, true
		case ast.SelectKind:
			sel := e.AsSelect()
			if sel.IsTestOnly() && !first {
				return nil, false
			}
			if !pathKey(sel.FieldName()) {
				return nil, false
			}
			rev = append(rev, sel.FieldName())
			e = sel.Operand()
		case ast.CallKind:
			call := e.AsCall()
			if call.FunctionName() != operators.Index || call.IsMemberFunction() || len(call.Args()) != 2 {
				return nil, false
			}
			key := call.Args()[1]
			if key.Kind() != ast.LiteralKind {
				return nil, false
			}
			s, ok := key.AsLiteral().(types.String)
			if !ok || !pathKey(string(s)) {
				return nil, false
			}
			rev = append(rev, string(s))
			e = call.Args()[0]
		default:
			return nil, false
		}
	}
}

func pathKey(k string) bool { return utf8.ValidString(k) && !strings.ContainsRune(k, utf8.RuneError) }

// decodePaths decodes one payload for CEL along tree (nil or whole: all of it), as
// decodeJSON does the whole.
func decodePaths(raw []byte, tree *pathTree, field string) (any, error) {
	if tree == nil || tree.whole || !present(raw) {
		return decodeJSON(raw, field)
	}
	if i := logfile.SkipSpace(raw, 0); i < len(raw) && raw[i] != '{' && raw[i] != '[' {
		return decodeJSON(raw, field) // a scalar: nothing to leave out
	}
	var sc logfile.Scanner
	v, end, err := pick(&sc, raw, 0, tree)
	if err == nil && logfile.SkipSpace(raw, end) != len(raw) {
		err = logfile.Syntax(end, "data after the value")
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", field, err)
	}
	return v, nil
}

var errShortPayload = errors.New("payload ends inside a value")

// pick decodes the value at b[i] along t: an object with t's keys only, its values picked in
// turn; anything else (or t whole) whole. Skipped values are validated all the same, so a
// payload that is not JSON fails as its whole decoding would.
func pick(sc *logfile.Scanner, b []byte, i int, t *pathTree) (any, int, error) {
	if i = logfile.SkipSpace(b, i); i >= len(b) {
		return nil, 0, errShortPayload
	}
	if !t.whole && t.elems != nil && b[i] == '[' {
		return pickElems(sc, b, i, t.elems)
	}
	if t.whole || t.elems != nil || b[i] != '{' {
		end, err := skip(sc, b, i)
		if err != nil {
			return nil, 0, err
		}
		v, err := leaf(b[i:end])
		return v, end, err
	}
	// The keys found are few (a payload holds one or two of the keys the rules read): they
	// are collected first, so the map is made at its size, not at the tree's.
	type kv struct {
		k string
		v any
	}
	var found []kv
	var buf [4]kv
	found = buf[:0]
	done := func() map[string]any {
		out := make(map[string]any, len(found))
		for _, e := range found {
			out[e.k] = e.v
		}
		return out
	}
	if i = logfile.SkipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return done(), i + 1, nil
	}
	for {
		if i >= len(b) {
			return nil, 0, errShortPayload
		}
		if b[i] != '"' {
			return nil, 0, logfile.Syntax(i, "want an object key")
		}
		kend, _, err := logfile.Key(b, i)
		if err != nil {
			return nil, 0, keyErr(err)
		}
		child, err := member(t, b[i:kend])
		if err != nil {
			return nil, 0, err
		}
		if i = logfile.SkipSpace(b, kend); i >= len(b) || b[i] != ':' {
			return nil, 0, logfile.Syntax(i, "want ':' after an object key")
		}
		var end int
		if child != nil {
			var v any
			if v, end, err = pick(sc, b, i+1, child); err != nil {
				return nil, 0, err
			}
			found = append(found, kv{child.name, v})
		} else if end, err = skip(sc, b, i+1); err != nil {
			return nil, 0, err
		}
		switch i = logfile.SkipSpace(b, end); {
		case i >= len(b):
			return nil, 0, errShortPayload
		case b[i] == ',':
			i = logfile.SkipSpace(b, i+1)
		case b[i] == '}':
			return done(), i + 1, nil
		default:
			return nil, 0, logfile.Syntax(i, "want ',' or '}' in an object")
		}
	}
}

// leaf decodes one valid JSON value as unmarshalAny does. Strings of printable ASCII
// without escapes (instance types, algorithm names, bucket names), true, false and null are
// read directly: a decoder's call costs more than they do.
func leaf(b []byte) (any, error) {
	switch string(b) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && printableASCII(b[1:len(b)-1]) {
		return string(b[1 : len(b)-1]), nil
	}
	return unmarshalAny(b)
}

// pickElems decodes the list at b[i] == '[', each element along t.
func pickElems(sc *logfile.Scanner, b []byte, i int, t *pathTree) (any, int, error) {
	out := []any{}
	if i = logfile.SkipSpace(b, i+1); i < len(b) && b[i] == ']' {
		return out, i + 1, nil
	}
	for {
		v, end, err := pick(sc, b, i, t)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
		switch i = logfile.SkipSpace(b, end); {
		case i >= len(b):
			return nil, 0, errShortPayload
		case b[i] == ',':
			i++
		case b[i] == ']':
			return out, i + 1, nil
		default:
			return nil, 0, logfile.Syntax(i, "want ',' or ']' in a list")
		}
	}
}

// skip validates the value at b[i] and returns the index past it.
func skip(sc *logfile.Scanner, b []byte, i int) (int, error) {
	end, err := sc.Value(b, i)
	return end, keyErr(err)
}

func keyErr(err error) error {
	if errors.Is(err, logfile.ErrShort) {
		return errShortPayload
	}
	return err
}

// locatePayloads sets rec's payloads (the raw JSON of requestParameters, …) to their values in
// raw, one record's JSON object, as trail.DecodeRecord would: absent ones nil. It returns
// false, leaving rec's payloads unset, when a decoder could read a payload otherwise than by
// its exact key: a top-level key with escapes or bytes above 0x7f, a key that differs from a
// payload's only in letter case (Go's decoders match keys regardless of case), or a payload
// key written twice; and when raw is not one valid JSON object.
//
// It also sets rec.EventID to the record's eventID when that is written once, exactly so
// keyed, as a string without escapes of valid UTF-8 without U+FFFD (what a decoder gives
// unchanged); otherwise it leaves it empty.
func locatePayloads(raw []byte, rec *trail.Record) bool {
	var found [numPayloads][]byte
	var eventID []byte
	idOK := true
	var sc logfile.Scanner
	i := logfile.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	if i = logfile.SkipSpace(raw, i+1); i < len(raw) && raw[i] == '}' {
		i++
	} else {
		for {
			if i >= len(raw) || raw[i] != '"' {
				return false
			}
			kend, _, err := logfile.Key(raw, i)
			if err != nil {
				return false
			}
			name := raw[i+1 : kend-1]
			if !printableASCII(name) {
				return false
			}
			slot := -1
			for p, pn := range payloadNames {
				if len(pn) == len(name) && asciiEqualFold(name, pn) {
					if pn != string(name) || found[p] != nil {
						return false
					}
					slot = p
					break
				}
			}
			if i = logfile.SkipSpace(raw, kend); i >= len(raw) || raw[i] != ':' {
				return false
			}
			start := logfile.SkipSpace(raw, i+1)
			end, err := sc.Value(raw, start)
			if err != nil {
				return false
			}
			if slot >= 0 {
				found[slot] = raw[start:end:end]
			}
			if len(name) == len("eventID") && asciiEqualFold(name, "eventID") {
				idOK = idOK && eventID == nil && string(name) == "eventID"
				eventID = raw[start:end]
			}
			if i = logfile.SkipSpace(raw, end); i >= len(raw) {
				return false
			}
			if raw[i] == ',' {
				i = logfile.SkipSpace(raw, i+1)
				continue
			}
			if raw[i] != '}' {
				return false
			}
			i++
			break
		}
	}
	if logfile.SkipSpace(raw, i) != len(raw) {
		return false
	}
	rec.RequestParameters, rec.ResponseElements, rec.AdditionalEventData = found[payloadRequestParameters], found[payloadResponseElements], found[payloadAdditionalEventData]
	rec.ServiceEventDetails, rec.Addendum = found[payloadServiceEventDetails], found[payloadAddendum]
	rec.EdgeDeviceDetails, rec.InsightDetails = found[payloadEdgeDeviceDetails], found[payloadInsightDetails]
	rec.EventID = ""
	if idOK && len(eventID) > 2 && eventID[0] == '"' {
		if id := eventID[1 : len(eventID)-1]; bytes.IndexByte(id, '\\') < 0 && pathKey(string(id)) {
			rec.EventID = string(id)
		}
	}
	return true
}

// asciiEqualFold is strings.EqualFold for a printable ASCII b (no other folds apply to it).
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}

// payloadTreesByName merges the payload paths of the rules that may run on a record of each
// event name the index pins (those rules and the unpinned ones), and of the unpinned ones
// alone for every other name.
func payloadTreesByName(rules []*compiledRule, x prefilterIndex) (map[string]*payloadTrees, *payloadTrees) {
	other := &payloadTrees{}
	for _, i := range x.unpinned {
		other.merge(&rules[i].reads.payloads)
	}
	byName := make(map[string]*payloadTrees, len(x.byName))
	for name, idx := range x.byName {
		t := &payloadTrees{}
		t.merge(other)
		for _, i := range idx {
			t.merge(&rules[i].reads.payloads)
		}
		byName[name] = t
	}
	return byName, other
}

// treesFor are the payload paths to decode for a record of this event name.
func (e *Engine) treesFor(eventName string) *payloadTrees {
	if e.wholePayloads {
		return nil
	}
	if t, ok := e.trees[eventName]; ok {
		return t
	}
	return e.otherTrees
}

// clearScratch is what Known evaluates on, reused: a record a log file's thousands of
// records judged undecoded would otherwise each allocate.
type clearScratch struct {
	rec trail.Record
	ev  eventValue
	act activation
	key []byte // a verdict's input key (verdicts.go)
}

var clearScratches = sync.Pool{New: func() any { return new(clearScratch) }}

package rules

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestPayloadPathsRead: the paths a condition reads are derived from its checked CEL; any
// other read of a payload makes it whole, and only conditions reading PrefilterFields and
// payload paths can be judged without decoding (Detector.Known).
func TestPayloadPathsRead(t *testing.T) {
	env, _, err := newEnv(TrustedAccounts{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		when     string
		rp, re   string // requestParameters', responseElements' trees
		partial  bool
		whenElse string
	}{
		{when: `event.eventName == "A"`, rp: "-", re: "-", partial: true},
		{when: `event.requestParameters.a.b == "x"`, rp: "{a:{b:*}}", re: "-", partial: true},
		{when: `event.requestParameters["x-y"] == "x" && has(event.requestParameters.c)`, rp: "{c:*,x-y:*}", re: "-", partial: true},
		{when: `getOr(event.requestParameters.a, "") == "" && getOr(event.requestParameters.a.b, "") == ""`, rp: "{a:*}", re: "-", partial: true},
		{when: `size(event.requestParameters) > 1`, rp: "*", re: "-", partial: true},
		{when: `event.requestParameters.exists(k, k == "a")`, rp: "*", re: "-", partial: true},
		{when: `event.requestParameters[event.eventName] == "x"`, rp: "*", re: "-", partial: true},
		{when: `event.requestParameters.a[0] == "x"`, rp: "{a:*}", re: "-", partial: true},
		{when: `getOr(event.responseElements.s.items, []).exists(i, getOr(i.t, "") == "p" || has(i.u.v))`, rp: "-", re: "{s:{items:{}[{t:*,u:{v:*}}]}}", partial: true},
		{when: `event.responseElements.items.exists(i, i == "p")`, rp: "-", re: "{items:*}", partial: true},
		{when: `event.responseElements.items.exists(i, i.a.exists(i, i == "x"))`, rp: "-", re: "{items:*}", partial: true},
		{when: `event.responseElements.items.map(i, i.a).exists(j, j == "x")`, rp: "-", re: "{items:{}[{a:*}]}", partial: true},
		{when: `event.userAgent == "x" && event.requestParameters.a == "y"`, rp: "{a:*}", re: "-", partial: false},
		{when: `event.userIdentity.type == "Root" && event.userIdentity.sessionContext.attributes.mfaAuthenticated`, rp: "-", re: "-", partial: false},
		{when: `externalAccount(event, event.requestParameters.a)`, rp: "{a:*}", re: "-", partial: true},
		{when: `[1].exists(event, event == 1)`, rp: "*", re: "*", partial: false},
		{when: `event.resources.exists(r, r.ARN == "x")`, rp: "-", re: "-", partial: false},
	} {
		checked, err := checkExpr(env, tc.when, true)
		if err != nil {
			t.Fatalf("%s: %v", tc.when, err)
		}
		var rd reads
		rd.add(checked)
		if got := rd.payloads[payloadRequestParameters].String(); got != tc.rp {
			t.Errorf("%s: requestParameters %s, want %s", tc.when, got, tc.rp)
		}
		if got := rd.payloads[payloadResponseElements].String(); got != tc.re {
			t.Errorf("%s: responseElements %s, want %s", tc.when, got, tc.re)
		}
		if !rd.other != tc.partial {
			t.Errorf("%s: partial %t, want %t", tc.when, !rd.other, tc.partial)
		}
	}
}

// TestDecodePathsAgreesWithDecodeJSON: a payload decoded along a tree holds what the whole
// decoding holds at every path of the tree, absent where it is absent, and fails where it fails.
func TestDecodePathsAgreesWithDecodeJSON(t *testing.T) {
	tree := &pathTree{}
	for _, p := range [][]string{{"a", "b"}, {"c"}, {"l", elemsKey, "t"}, {"x-y"}} {
		tree.add(p)
	}
	for _, raw := range []string{
		`{"a":{"b":"x","z":1},"c":[1,2],"d":{"e":"f"}}`,
		`{"a":"not an object","c":null}`,
		`{"a":{"b":1},"a":{"z":2}}`, // the last of a key written twice, as the decoders do
		`{"\u0061":{"\u0062":"escaped keys"}}`,
		`{"l":[{"t":"p2.xlarge","u":1},"s",{"v":2},[1]],"x-y":true}`,
		`{"l":{"t":"an object where a list is iterated"}}`,
		`{}`, `[]`, `"s"`, `null`, `  {"c" : 1 }  `,
		`{"a":{"b":"x"}`, `{"a":{"b":"x"}}x`, `{"c":[1,]}`, `{"d":tru}`, `{"a":{"b":"\x01"}}`,
	} {
		want, wantErr := decodeJSON([]byte(raw), "requestParameters")
		got, gotErr := decodePaths([]byte(raw), tree, "requestParameters")
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, decoding whole: %v", raw, gotErr, wantErr)
			continue
		}
		if gotErr == nil && !sameAlong(got, want, tree) {
			t.Errorf("%s: %#v, decoding whole: %#v", raw, got, want)
		}
	}
}

// sameAlong: got holds what want holds along tree.
func sameAlong(got, want any, t *pathTree) bool {
	if t.whole {
		return fmt.Sprint(got) == fmt.Sprint(want)
	}
	if t.elems != nil {
		if wl, ok := want.([]any); ok {
			gl, ok := got.([]any)
			if !ok || len(gl) != len(wl) {
				return false
			}
			for i := range wl {
				if !sameAlong(gl[i], wl[i], t.elems) {
					return false
				}
			}
			return true
		}
		return fmt.Sprint(got) == fmt.Sprint(want)
	}
	wm, ok := want.(map[string]any)
	if !ok {
		return fmt.Sprint(got) == fmt.Sprint(want)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, c := range t.keys {
		wv, win := wm[k]
		gv, gin := gm[k]
		if win != gin || win && !sameAlong(gv, wv, c) {
			return false
		}
	}
	return true
}

// TestLocatePayloads: the payloads found in a record's raw JSON are trail.DecodeRecord's;
// a record whose payload keys a decoder could read otherwise is refused.
func TestLocatePayloads(t *testing.T) {
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{`{"eventName":"A","requestParameters":{"a":1},"responseElements":null}`, true},
		{` { "requestParameters" : [1, {"b":"}"}] , "additionalEventData":"s"} `, true},
		{`{}`, true},
		{`{"RequestParameters":{"a":1}}`, false},
		{`{"requestParameters":{"a":1},"requestParameters":{"a":2}}`, false},
		{`{"request\u0050arameters":{"a":1}}`, false},
		{`{"eventName":"é","requestParameters":{}}`, true},
		{`{"évent":"x","requestParameters":{}}`, false},
		{`{"requestParameters":{"a":1}`, false},
		{`[]`, false},
	} {
		var rec trail.Record
		ok := locatePayloads([]byte(tc.raw), &rec)
		if ok != tc.ok {
			t.Errorf("%s: %t, want %t", tc.raw, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := trail.DecodeRecord([]byte(tc.raw))
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		for i := range numPayloads {
			got, w := (&eventValue{rec: &rec}).raw(i), (&eventValue{rec: want}).raw(i)
			if string(got) != string(w) {
				t.Errorf("%s: %s %q, DecodeRecord %q", tc.raw, payloadNames[i], got, w)
			}
		}
	}
}

// pathRecords are the pack's test events and the corpus's records as raw JSON records.
func pathRecords(t testing.TB) (*Engine, [][]byte) {
	t.Helper()
	e, recs := packRecords(t)
	var raws [][]byte
	for _, rec := range recs {
		raw, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	f, err := os.Open("../../testdata/corpus/cloudtrail-records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct{ Record json.RawMessage }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		raws = append(raws, line.Record)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return e, raws
}

// checkPaths fails when evaluating the pack with payloads decoded along its paths differs
// from decoding them whole on the record raw: the same rules match, with the same
// fingerprint, distinct and tally values, and the same rules fail.
func checkPaths(t *testing.T, e *Engine, raw []byte) {
	t.Helper()
	rec, err := trail.DecodeRecord(raw)
	if err != nil {
		return
	}
	whole := *e
	whole.wholePayloads = true
	got, gotErr := e.Evaluate(rec)
	want, wantErr := whole.Evaluate(rec)
	if g, w := matchesString(got), matchesString(want); g != w {
		t.Fatalf("payload paths: matches %s; decoding payloads whole: %s: %s", g, w, raw)
	}
	if g, w := failedRules(gotErr), failedRules(wantErr); g != w {
		t.Fatalf("payload paths: rules failed %s (%v); decoding payloads whole: %s (%v): %s", g, gotErr, w, wantErr, raw)
	}
}

func matchesString(ms []Match) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s%q/%q/%q", m.Rule.ID, m.Fingerprint, m.Distinct, m.Tally))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func failedRules(err error) string {
	var ids []string
	var walk func(error)
	walk = func(err error) {
		var ee *EvalError
		switch x := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		default:
			if errors.As(err, &ee) {
				ids = append(ids, ee.RuleID)
			} else {
				ids = append(ids, "other:"+err.Error())
			}
		}
	}
	walk(err)
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// TestPayloadPathsAgreeWithDecodingWhole: over every pack test event, every corpus record,
// and 20,000 variations of them (payload values swapped for values from other records, keys
// deleted or their case changed, payloads replaced by other JSON types), the pack decoding
// payloads along its paths finds what it finds decoding them whole.
func TestPayloadPathsAgreeWithDecodingWhole(t *testing.T) {
	e, raws := pathRecords(t)
	var docs []map[string]any
	var pool []any
	for _, raw := range raws {
		checkPaths(t, e, raw)
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
		collectValues(doc, &pool)
	}
	pool = append(pool, nil, "", "x", 1.0, true, []any{}, map[string]any{}, []any{"p3.2xlarge"},
		map[string]any{"value": "g5.xlarge"}, map[string]any{"items": []any{map[string]any{"instanceType": "p4d.24xlarge"}}})
	rng := rand.New(rand.NewPCG(13, 2))
	for range 20_000 {
		doc := deepCopy(docs[rng.IntN(len(docs))]).(map[string]any)
		for range 1 + rng.IntN(4) {
			mutate(rng, doc, pool)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		checkPaths(t, e, raw)
	}
}

// collectValues adds every value below v (objects and lists included) to pool.
func collectValues(v any, pool *[]any) {
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			*pool = append(*pool, c)
			collectValues(c, pool)
		}
	case []any:
		for _, c := range x {
			*pool = append(*pool, c)
			collectValues(c, pool)
		}
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			out[k] = deepCopy(c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = deepCopy(c)
		}
		return out
	}
	return v
}

// mutate changes one thing in a payload of doc (or a payload key's case): a value below it
// replaced by one from pool, a key deleted, a key added, the payload replaced whole.
func mutate(rng *rand.Rand, doc map[string]any, pool []any) {
	name := payloadNames[rng.IntN(2)] // requestParameters, responseElements: what rules read
	if rng.IntN(20) == 0 {
		name = payloadNames[rng.IntN(int(numPayloads))]
	}
	switch rng.IntN(10) {
	case 0:
		doc[name] = deepCopy(pool[rng.IntN(len(pool))])
		return
	case 1:
		if v, ok := doc[name]; ok && rng.IntN(4) == 0 {
			delete(doc, name)
			doc[strings.ToUpper(name[:1])+name[1:]] = v
		}
		return
	}
	v, ok := doc[name].(map[string]any)
	if !ok {
		v = map[string]any{}
		doc[name] = v
	}
	// Walk down a random path of objects and lists.
	var parent map[string]any = v
	for range 4 {
		keys := make([]string, 0, len(parent))
		for k := range parent {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if len(keys) == 0 || rng.IntN(3) == 0 {
			break
		}
		k := keys[rng.IntN(len(keys))]
		next, ok := parent[k].(map[string]any)
		if l, isList := parent[k].([]any); isList && len(l) > 0 {
			next, ok = l[rng.IntN(len(l))].(map[string]any)
		}
		if !ok {
			break
		}
		parent = next
	}
	keys := make([]string, 0, len(parent))
	for k := range parent {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	switch {
	case len(keys) > 0 && rng.IntN(3) == 0:
		delete(parent, keys[rng.IntN(len(keys))])
	case len(keys) > 0 && rng.IntN(2) == 0:
		parent[keys[rng.IntN(len(keys))]] = deepCopy(pool[rng.IntN(len(pool))])
	default:
		for _, k := range []string{"instanceType", "x-amz-server-side-encryption-customer-algorithm", "instancesSet", "items", "bucketName", "key", "userName", "value"} {
			if rng.IntN(4) == 0 {
				parent[k] = deepCopy(pool[rng.IntN(len(pool))])
			}
		}
	}
}

// FuzzPayloadPaths: on any record that decodes, the pack decoding payloads along its paths
// finds what decoding them whole finds, and where Detector.Known says what its alerts are,
// Detect raises those. Seeds: pack test
// events and corpus records (testdata/fuzz/FuzzPayloadPaths).
func FuzzPayloadPaths(f *testing.F) {
	e, raws := pathRecords(f)
	for _, raw := range raws[:min(len(raws), 8)] {
		f.Add(raw)
	}
	k := newKnownChecker(e)
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkPaths(t, e, raw)
		k.check(t, raw)
	})
}

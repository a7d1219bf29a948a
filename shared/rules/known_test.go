package rules

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/trail"
)

// knownChecker runs Detector.Known and, as the log-file path does, Detect when Known cannot
// say, against a detector decoding every record (its own threshold counts, fed the same
// records in the same order).
//
// It also runs KnownAlerts, as the log-file path does, on the fields and payloads the log
// parser kept (counters.Parser, when it located them and its fields are not ambiguous), on
// a third detector fed the same way: it must say what Known says.
type knownChecker struct {
	fast, full, located *Detector
	parser              counters.Parser
	known               int
	raised              int
	locatedRuns         int
	builtRuns           int // KnownAlerts knew (builtRaised: some alert)
	builtRaised         int
}

func newKnownChecker(e *Engine) *knownChecker {
	return &knownChecker{fast: &Detector{Engine: e, Counts: &MemoryCounter{}}, full: &Detector{Engine: e, Counts: &MemoryCounter{}},
		located: &Detector{Engine: e, Counts: &MemoryCounter{}}}
}

// checkLocated fails when KnownAlerts on the parser's view of raw, building no alert, differs
// from Known's answer (prints, ok); a record the parser refuses, or whose fields it says are
// ambiguous, is decoded instead, as the log-file path does.
//
// Where it knows, KnownAlerts building every finding's alert must return, when it knows, the
// same prints and exactly the alerts Detect returned (want: every field and detail), still so
// after the read buffer is overwritten (the alerts own their strings).
func (k *knownChecker) checkLocated(t *testing.T, ctx context.Context, raw []byte, rec *trail.Record, prints []string, ok bool, want []alert.Alert) {
	t.Helper()
	raw = bytes.Clone(raw) // the read buffer, overwritten below
	end, err := k.parser.Parse(raw, 0)
	if err != nil || end != len(raw) || k.parser.Ambiguous() || !k.parser.PayloadsLocated() ||
		(k.parser.Fields().UserIdentity.Type == "" && k.parser.Record().Principal == "") {
		k.located.Detect(ctx, rec)
		return
	}
	k.locatedRuns++
	got, none, gotOK := k.located.KnownAlerts(ctx, k.parser.Fields(), nil, []string{"before"}, nil)
	if gotOK != ok || !slices.Equal(got, prints) || len(none) > 0 {
		t.Fatalf("KnownAlerts building none: %v (%v, %d alerts), Known %v (%v): %s", got, gotOK, len(none), prints, ok, raw)
	}
	if !gotOK {
		k.located.Detect(ctx, rec)
		return
	}
	allNew := func(string) bool { return true }
	got, alerts, built := k.located.KnownAlerts(ctx, k.parser.Fields(), allNew, []string{"before"}, []alert.Alert{{Kind: "before"}})
	if alerts[0].Kind != "before" {
		t.Fatalf("KnownAlerts did not append: %v", alerts)
	}
	if !built {
		return
	}
	shown := string(raw)
	clear(raw)
	if !slices.Equal(got, prints) {
		t.Fatalf("KnownAlerts building all: prints %v, Known %v: %s", got, prints, shown)
	}
	if !reflect.DeepEqual(alerts[1:], want) && (len(want) > 0 || len(alerts) > 1) {
		t.Fatalf("KnownAlerts:\n%+v\nDetect:\n%+v\nrecord %s", alerts[1:], want, shown)
	}
	k.builtRuns++
	if len(want) > 0 {
		k.builtRaised++
	}
}

// check fails when Known says what the alerts of the record raw are and Detect on the
// decoded record finds other alerts (their fingerprints, in order), or fails.
func (k *knownChecker) check(t *testing.T, raw []byte) {
	t.Helper()
	ctx := context.Background()
	rec, err := trail.DecodeRecord(raw)
	if err != nil || rec.Check() != nil {
		return
	}
	want, wantErr := k.full.Detect(ctx, rec)
	prints, ok := k.fast.Known(ctx, keptFields(rec), raw, []string{"before"})
	if prints[0] != "before" {
		t.Fatalf("Known did not append: %v", prints)
	}
	k.checkLocated(t, ctx, raw, rec, prints, ok, want)
	if !ok {
		if len(prints) != 1 {
			t.Fatalf("not known, but appended %v", prints)
		}
		k.fast.Detect(ctx, rec) // as the log-file path does: decode it
		return
	}
	k.known++
	if wantErr != nil {
		t.Fatalf("known (%d alerts), but Detect fails: %v: %s", len(prints)-1, wantErr, raw)
	}
	wantPrints := []string{"before"}
	for _, a := range want {
		wantPrints = append(wantPrints, a.Fingerprint())
	}
	if !slices.Equal(prints, wantPrints) {
		t.Fatalf("Known %v, Detect's alerts %v: %s", prints, wantPrints, raw)
	}
	if len(want) > 0 {
		k.raised++
	}
}

// TestKnownAgreesWithDetect: over every pack test event, every corpus record, and 20,000
// variations of them (payloads and kept fields changed, each a new event ID, so threshold
// rules count up and cross their thresholds), where Detector.Known says what a record's
// alerts are, Detect on the decoded record raises exactly those (fingerprints, in order) and
// fails on nothing.
func TestKnownAgreesWithDetect(t *testing.T) {
	e, raws := pathRecords(t)
	k := newKnownChecker(e)
	for _, raw := range raws {
		k.check(t, raw)
	}
	for raw := range variations(t, raws, 20_000) {
		k.check(t, raw)
	}
	if k.known == 0 || k.raised == 0 || k.locatedRuns < k.known/2 || k.builtRaised == 0 {
		t.Errorf("known on %d records, %d of them raising alerts, %d through the parser, %d alerts built (%d raising): the check checks too little",
			k.known, k.raised, k.locatedRuns, k.builtRuns, k.builtRaised)
	}
	t.Logf("known on %d records, %d of them raising alerts, %d through the parser, %d alerts built (%d raising)", k.known, k.raised, k.locatedRuns, k.builtRuns, k.builtRaised)
}

// variations yields n variations of the records raws, the same for every caller: one to two
// payload values changed (drawn from the records' own values), a kept field swapped for
// another record's in one of four, each with a new event ID.
func variations(t *testing.T, raws [][]byte, n int) iter.Seq[[]byte] {
	var docs []map[string]any
	var pool []any
	for _, raw := range raws {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
		collectValues(doc, &pool)
	}
	var fieldPool [numFields][]any
	for _, doc := range docs {
		for f := range numFields {
			fieldPool[f] = append(fieldPool[f], fieldAtPath(doc, PrefilterFields[f]))
		}
	}
	return func(yield func([]byte) bool) {
		rng := rand.New(rand.NewPCG(13, 3))
		for i := range n {
			doc := deepCopy(docs[rng.IntN(len(docs))]).(map[string]any)
			doc["eventID"] = fmt.Sprintf("variation-%d", i)
			for range rng.IntN(3) {
				mutate(rng, doc, pool)
			}
			if rng.IntN(4) == 0 {
				f := rng.IntN(int(numFields))
				setAtPath(doc, PrefilterFields[f], fieldPool[f][rng.IntN(len(fieldPool[f]))])
			}
			raw, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if !yield(raw) {
				return
			}
		}
	}
}

func fieldAtPath(doc map[string]any, path string) any {
	if id, f, ok := cutDot(path); ok {
		m, _ := doc[id].(map[string]any)
		return m[f]
	}
	return doc[path]
}

func setAtPath(doc map[string]any, path string, v any) {
	if id, f, ok := cutDot(path); ok {
		m, _ := doc[id].(map[string]any)
		if m == nil {
			m = map[string]any{}
			doc[id] = m
		}
		m[f] = v
		return
	}
	doc[path] = v
}

func cutDot(path string) (string, string, bool) {
	for i := range len(path) {
		if path[i] == '.' {
			return path[:i], path[i+1:], true
		}
	}
	return "", "", false
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/trail"
)

// corpusLine is one line of testdata/corpus/cloudtrail-records.jsonl.
type corpusLine struct {
	Rule   string          `json:"rule"`
	Test   string          `json:"test"`
	Record json.RawMessage `json:"record"`
}

// envelope wraps a bare CloudTrail record the way EventBridge delivers it to Lambda.
func envelope(id string, rec *trail.Record, raw json.RawMessage) ([]byte, error) {
	source := "aws." + strings.TrimSuffix(rec.EventSource, ".amazonaws.com")
	return json.Marshal(map[string]any{
		"version": "0", "id": id, "detail-type": detailTypeAPICall, "source": source,
		"account": rec.Account(), "time": "2026-11-20T00:00:00Z", "region": rec.AWSRegion,
		"resources": []string{}, "detail": raw,
	})
}

// TestCorpusWriteEvents sends every write record of the corpus through the handler: none that
// trail's model finds usable may fail, each yields at least one record, and each record is
// identified and timed; an unusable one (a redacted time) is malformed, as in every function.
func TestCorpusWriteEvents(t *testing.T) {
	f, err := os.Open("../../testdata/corpus/cloudtrail-records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fx := newFixture(t, tags.Static{})
	ctx := context.Background()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, writes := 0, 0
	for sc.Scan() {
		n++
		var line corpusLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		rec, err := trail.DecodeRecord(line.Record)
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if !rec.ReadOnly.Present || rec.ReadOnly.Value {
			continue
		}
		writes++
		ev, err := envelope(fmt.Sprintf("corpus-%d", n), rec, line.Record)
		if err != nil {
			t.Fatal(err)
		}
		before := len(fx.store.All())
		if rec.Check() != nil {
			if err := fx.h.Handle(ctx, ev); !errors.Is(err, trail.ErrMalformed) {
				t.Errorf("line %d: unusable record (%v) handled with %v, want malformed", n, rec.Check(), err)
			}
			continue
		}
		if err := fx.h.Handle(ctx, ev); err != nil {
			t.Errorf("line %d (%s / %s): %v", n, line.Rule, line.Test, err)
			continue
		}
		if len(fx.store.All()) == before && !fx.duplicateOfEarlier(rec) {
			t.Errorf("line %d (%s / %s): no record written", n, line.Rule, line.Test)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if writes < 200 {
		t.Fatalf("only %d write records found in the corpus: is it the right file?", writes)
	}
	for _, c := range fx.store.All() {
		if c.EventID == "" || c.Time == "" || c.EventName == "" {
			t.Errorf("record without identity or time: %+v", c)
		}
	}
	t.Logf("%d corpus write records → %d change records", writes, len(fx.store.All()))
}

// duplicateOfEarlier: corpus records reuse eventIDs (test fixtures "1", "2"…), so a record may
// legitimately be a redelivery of an earlier one.
func (f *fixture) duplicateOfEarlier(rec *trail.Record) bool {
	for _, c := range f.store.All() {
		if c.EventID == rec.EventID {
			return true
		}
	}
	return false
}

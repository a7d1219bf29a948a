package rules

import (
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// keptFields is rec as the log-file parser keeps it: PrefilterFields, the rest of a
// fingerprint (onBehalfOf, cloud) and eventTime, nothing else.
func keptFields(rec *trail.Record) *trail.Record {
	kept := &trail.Record{EventTime: rec.EventTime, Cloud: rec.Cloud}
	for f, v := range PrefilterValues(rec) {
		setField(kept, field(f), v)
	}
	kept.UserIdentity.OnBehalfOf = rec.UserIdentity.OnBehalfOf
	return kept
}

// BenchmarkClears: Engine.Clears on pack test events no rule matches (a t3.micro launch,
// an upload under a KMS key), against decoding each and evaluating the pack on it.
func BenchmarkClears(b *testing.B) {
	e, recs := packRecords(b)
	for _, name := range []string{"RunInstances", "CopyObject"} {
		var rec *trail.Record
		for _, r := range recs {
			if m, err := e.Evaluate(r); r.EventName == name && len(m) == 0 && err == nil {
				rec = r
				break
			}
		}
		if rec == nil {
			b.Fatalf("no %s record no rule matches", name)
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			b.Fatal(err)
		}
		kept := keptFields(rec)
		if !e.Clears(kept, raw) {
			b.Fatalf("%s not cleared", name)
		}
		b.Run(name+"/clears", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Clears(kept, raw)
			}
		})
		b.Run(name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, _ := trail.DecodeRecord(raw)
				e.Evaluate(r)
			}
		})
	}
}

package rules

import (
	"context"
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

// BenchmarkKnown: Detector.Known on pack test events no rule matches (a t3.micro launch, a
// copy under a KMS key), against decoding each and running Detect on it.
func BenchmarkKnown(b *testing.B) {
	e, recs := packRecords(b)
	d := &Detector{Engine: e, Counts: &MemoryCounter{}}
	ctx := context.Background()
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
		if prints, ok := d.Known(ctx, kept, raw, nil); !ok || len(prints) > 0 {
			b.Fatalf("%s: Known %v %t, want nothing, known", name, prints, ok)
		}
		b.Run(name+"/known", func(b *testing.B) {
			b.ReportAllocs()
			var prints []string
			for b.Loop() {
				prints, _ = d.Known(ctx, kept, raw, prints[:0])
			}
		})
		b.Run(name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, _ := trail.DecodeRecord(raw)
				d.Detect(ctx, r)
			}
		})
	}
}

// BenchmarkLocatePayloads: finding a record's payloads in its raw JSON (Known's first step).
func BenchmarkLocatePayloads(b *testing.B) {
	_, recs := packRecords(b)
	raw, err := json.Marshal(recs[0])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var rec trail.Record
	for b.Loop() {
		if !locatePayloads(raw, &rec) {
			b.Fatal("not located")
		}
	}
}

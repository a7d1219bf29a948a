package pack_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/trailguard/trailguard/internal/trailgen"
	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// BenchmarkEvaluate is the cost of one event through every built-in rule (the records of the
// corpus in turn, so payload decoding and the rule mix are those of real variety). The record
// is decoded beforehand: both alert paths have decoded it already.
func BenchmarkEvaluate(b *testing.B) {
	trailgen.OneCore(b)
	e := compilePack(b)
	var recs []*trail.Record
	for _, l := range readCorpus(b) {
		rec, err := trail.DecodeRecord(l.Record)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, rec)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := e.Evaluate(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAndEvaluate is the log-file path's cost per record: the aggregator frames
// records without decoding them, so rules need the record decoded first.
func BenchmarkDecodeAndEvaluate(b *testing.B) {
	trailgen.OneCore(b)
	e := compilePack(b)
	var raws [][]byte
	for _, l := range readCorpus(b) {
		raws = append(raws, l.Record)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec, err := trail.DecodeRecord(raws[i%len(raws)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Evaluate(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetectTrail is the log-file path's detection per record of routine activity: the
// records of the generated benchmark trail, each decoded and run through every rule and the
// threshold counts (in memory), on one core. Target: under 20 µs per record.
func BenchmarkDetectTrail(b *testing.B) {
	raws := trailRecords(b, 20_000)
	trailgen.OneCore(b)
	d, err := rules.NewDetector(compilePack(b), &rules.MemoryCounter{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.DetectJSON(ctx, raws[i%len(raws)]); err != nil {
			b.Fatal(err)
		}
	}
}

// trailRecords are the first n records of the generated benchmark trail, framed.
func trailRecords(b *testing.B, n int) [][]byte {
	b.Helper()
	lr, err := logfile.NewReader(trailgen.Bench(1, n))
	if err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	for {
		raw, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, bytes.Clone(raw))
	}
}

// BenchmarkCompilePack is the start-up cost of the rules, on one core: load the embedded
// pack, type-check and compile every rule, as Selection.Build does at start. Target: under
// 100 ms.
func BenchmarkCompilePack(b *testing.B) {
	trailgen.OneCore(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (rules.Selection{Trusted: []string{"111122223333", "o-a1b2c3d4e5"}}).Build(pack.FS); err != nil {
			b.Fatal(err)
		}
	}
}

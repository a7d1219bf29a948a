package pack_test

import (
	"testing"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// BenchmarkEvaluate is the cost of one event through every built-in rule (the records of the
// corpus in turn, so payload decoding and the rule mix are those of real variety). The record
// is decoded beforehand: both alert paths have decoded it already.
func BenchmarkEvaluate(b *testing.B) {
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

// BenchmarkCompilePack is the start-up cost of the rules: load the embedded pack, type-check
// and compile every rule.
func BenchmarkCompilePack(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		loaded, err := rules.LoadFS(pack.FS, ".", rules.BuiltinLabel)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rules.Compile(loaded); err != nil {
			b.Fatal(err)
		}
	}
}

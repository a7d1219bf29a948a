package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// benchRecords is the size of the benchmark log file (trailgen.LoadBenchFile).
const benchRecords = trailgen.BenchRecords

const baseline = "../../scripts/bench/aggregate_baseline.py"

func quietHandler() *Handler {
	return &Handler{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: noMetrics{},
		Rules: Rules{FailedSignIns: 5, AccessDenied: 20, DeniedCodes: map[string]bool{"AccessDenied": true, "UnauthorizedOperation": true, "Client.UnauthorizedOperation": true}}}
}

// countFile is the local path's work on one file: gunzip, decode, count (rules included when
// h.Detect is set).
func countFile(b *testing.B, h *Handler, data []byte) Summary {
	var sum Summary
	if _, err := h.count(context.Background(), h.Log, bytes.NewReader(data), &sum, &fileDetections{}); err != nil {
		b.Fatal(err)
	}
	if sum.Records != benchRecords || sum.Malformed != 0 {
		b.Fatalf("summary %+v", sum)
	}
	return sum
}

// benchFiles are the generated log files the benchmarks run on: the benchmark file (about
// 14 % of records open a counter) and the high-cardinality one (40 %).
var benchFiles = []struct {
	name string
	load func(testing.TB) (string, []byte)
}{
	{"bench", trailgen.LoadBenchFile},
	{"high-cardinality", trailgen.LoadHighCardinalityFile},
}

// withRules is quietHandler with the detection rules on (the whole built-in pack), as the
// template deploys the aggregator (LOG_FILE_RULES=all).
func withRules(b *testing.B) *Handler {
	h := quietHandler()
	d, err := newDetector(Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	h.Detect = d
	return h
}

// BenchmarkAggregateFile: the end-to-end local path (gunzip + decode + count) on one core,
// counting alone. The file is in memory, so the disk is not measured.
func BenchmarkAggregateFile(b *testing.B) {
	for _, f := range benchFiles {
		b.Run(f.name, func(b *testing.B) { benchAggregate(b, f.load, quietHandler()) })
	}
}

// BenchmarkAggregateFileWithRules is the same path with the detection rules (the whole built-in
// pack) on, as deployed: the rules see the records their prefilter admits, decoded in full.
// threshold-writes/Mrec is how many threshold counts the rules write per million records: one
// UpdateItem each on the alert state table when deployed (rules.DynamoCounter), counted here on
// the in-memory counter (docs/cost.md).
func BenchmarkAggregateFileWithRules(b *testing.B) {
	for _, f := range benchFiles {
		b.Run(f.name, func(b *testing.B) {
			counts := &countedCounter{}
			h := quietHandler()
			d, err := newDetector(Config{}, counts)
			if err != nil {
				b.Fatal(err)
			}
			h.Detect = d
			benchAggregate(b, f.load, h)
			b.ReportMetric(float64(counts.adds.Load())*1e6/float64(benchRecords*b.N), "threshold-writes/Mrec")
		})
	}
}

// countedCounter is the in-memory threshold counter, counting its writes.
type countedCounter struct {
	rules.MemoryCounter
	adds atomic.Int64
}

func (c *countedCounter) Add(ctx context.Context, key, member string, limit int, expires time.Time) (bool, []string, error) {
	c.adds.Add(1)
	return c.MemoryCounter.Add(ctx, key, member, limit, expires)
}

// BenchmarkFolding is BenchmarkAggregateFileWithRules with and without folding records into
// the file's alerts, or clearing them, undecoded (rules.Detector.Known), alternating in one
// process: what that saves, measured in the same window.
func BenchmarkFolding(b *testing.B) {
	for _, f := range benchFiles {
		for _, fold := range []bool{true, false} {
			name := f.name + "/fold"
			if !fold {
				name = f.name + "/no-fold"
			}
			b.Run(name, func(b *testing.B) {
				h := withRules(b)
				if !fold {
					h.Detect = noFolding{h.Detect.(*rules.Detector)}
				}
				benchAggregate(b, f.load, h)
			})
		}
	}
}

// noFolding is the detector with the prefilter but without folding or clearing: every
// admitted record is decoded.
type noFolding struct{ *rules.Detector }

func (n noFolding) Known(_ context.Context, rec *trail.Record, _ []byte, dst []string) ([]string, bool) {
	return dst, !n.Admits(rec)
}

func (n noFolding) KnownAlerts(_ context.Context, rec *trail.Record, _ func(string) bool, prints []string, alerts []alert.Alert) ([]string, []alert.Alert, bool) {
	return prints, alerts, !n.Admits(rec)
}

func benchAggregate(b *testing.B, load func(testing.TB) (string, []byte), h *Handler) {
	_, data := load(b)
	trailgen.OneCore(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var sum Summary
	cpu := cpuTime()
	for b.Loop() {
		sum = countFile(b, h, data)
	}
	cpu = cpuTime() - cpu
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(perSecond(benchRecords*b.N, cpu), "cpu-records/s")
	b.ReportMetric(float64(sum.Counters), "counters")
}

// BenchmarkPythonBaseline runs the same job in Python's standard library
// (scripts/bench/aggregate_baseline.py) on each benchmark file, and right after it, on one
// core, one Go pass counting alone and one with the detection rules on (the deployed
// pipeline; the two in turn first), reporting the rates and Go's speed-ups. The Python rate is the script's own timing
// of the job, without the interpreter's start. Skipped without python3.
func BenchmarkPythonBaseline(b *testing.B) {
	python, err := exec.LookPath("python3")
	if err != nil {
		b.Skip("python3 not found")
	}
	for _, f := range benchFiles {
		b.Run(f.name, func(b *testing.B) {
			path, data := f.load(b)
			count, rules := quietHandler(), withRules(b)
			var pySeconds, countSeconds, rulesSeconds float64
			var pyCPU, countCPU, rulesCPU time.Duration
			iteration := 0
			for b.Loop() {
				cmd := exec.Command(python, baseline, path)
				out, err := cmd.Output()
				if err != nil {
					b.Fatalf("%s: %v", baseline, err)
				}
				pyCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime() // the interpreter's start included
				var res struct {
					Records, Malformed, Counters int
					Seconds                      float64
				}
				if err := json.Unmarshal(out, &res); err != nil {
					b.Fatalf("%s printed %q: %v", baseline, out, err)
				}
				prev := runtime.GOMAXPROCS(1)
				var sum Summary
				// Each pass from a collected heap (neither pays for the other's garbage), in
				// turn first and second (neither always follows Python).
				passes := [2]func(){
					func() {
						runtime.GC()
						start, cpu := time.Now(), cpuTime()
						sum = countFile(b, count, data)
						countSeconds, countCPU = countSeconds+time.Since(start).Seconds(), countCPU+cpuTime()-cpu
					},
					func() {
						runtime.GC()
						start, cpu := time.Now(), cpuTime()
						countFile(b, rules, data)
						rulesSeconds, rulesCPU = rulesSeconds+time.Since(start).Seconds(), rulesCPU+cpuTime()-cpu
					},
				}
				first := iteration % 2
				passes[first]()
				passes[1-first]()
				iteration++
				runtime.GOMAXPROCS(prev)
				if res.Records != sum.Records || res.Malformed != sum.Malformed || res.Counters != sum.Counters {
					b.Fatalf("not the same job: python %+v, go %+v", res, sum)
				}
				pySeconds += res.Seconds
			}
			b.ReportMetric(float64(benchRecords*b.N)/pySeconds, "py-records/s")
			b.ReportMetric(float64(benchRecords*b.N)/countSeconds, "go-records/s")
			b.ReportMetric(float64(benchRecords*b.N)/rulesSeconds, "go-rules-records/s")
			b.ReportMetric(pySeconds/countSeconds, "go-speedup")
			b.ReportMetric(pySeconds/rulesSeconds, "go-rules-speedup")
			b.ReportMetric(countSeconds/rulesSeconds, "rules/count")
			// The same by CPU time (steadier on a shared machine).
			b.ReportMetric(perSecond(benchRecords*b.N, pyCPU), "py-cpu-records/s")
			b.ReportMetric(perSecond(benchRecords*b.N, countCPU), "go-cpu-records/s")
			b.ReportMetric(perSecond(benchRecords*b.N, rulesCPU), "go-rules-cpu-records/s")
			if countCPU > 0 && rulesCPU > 0 {
				b.ReportMetric(pyCPU.Seconds()/rulesCPU.Seconds(), "go-rules-cpu-speedup")
				b.ReportMetric(countCPU.Seconds()/rulesCPU.Seconds(), "rules/count-cpu")
			}
		})
	}
}

// perSecond is n per d, 0 when d was not measured.
func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// BenchmarkMemoryLargeStream aggregates generated log files of growing size (about 0.25 and
// 1 GB uncompressed) from a stream, never materialized, and reports the peak heap in use. The
// files draw on one catalog (5 accounts, 100 identities, 60 sources, two hours), so they have
// about the same distinct counters: the peak follows the counters, not the file's size.
func BenchmarkMemoryLargeStream(b *testing.B) {
	for _, n := range []int{150_000, 700_000} {
		b.Run(strconv.Itoa(n)+"-records", func(b *testing.B) {
			h := quietHandler()
			trailgen.OneCore(b)
			var peak uint64
			var sum Summary
			var read int64
			for b.Loop() {
				g := trailgen.New(9, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), 5, 20, 60)
				src := &sampling{r: trailgen.Stream(n, func(dst []byte) []byte { return g.Append(dst, g.Random(2)) }), every: 16 << 20}
				runtime.GC()
				if _, err := h.count(context.Background(), h.Log, src, &sum, &fileDetections{}); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, src.peak)
				read = src.n
			}
			b.ReportMetric(float64(read)/(1<<20), "input-MB")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(sum.Counters), "counters")
		})
	}
}

// sampling reads through r and samples the heap in use every `every` bytes.
type sampling struct {
	r       io.Reader
	every   int64
	n, next int64
	peak    uint64
}

func (s *sampling) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n >= s.next || err != nil {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.peak = max(s.peak, ms.HeapInuse)
		s.next = s.n + s.every
	}
	return n, err
}

// TestPythonBaselineIsTheSameJob: the baseline's counters are the aggregator's, row for row,
// on the sample files and on a planned file, so the benchmark compares the same work.
func TestPythonBaselineIsTheSameJob(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	// Records malformed as JSON would fail Python's whole json.load (it cannot skip one);
	// records of valid JSON that cannot be counted are malformed to both.
	planned, _ := plannedFile(4, 3000, 0)
	planned = append(planned, []byte(`{"eventTime":1732089600,"eventName":"GetObject","recipientAccountId":"1"}`),
		[]byte(`{"eventTime":"2026-11-20T08:00:00Z","eventName":"GetObject","userIdentity":{"type":"AWSService"}}`), []byte(`null`))
	dir := t.TempDir()
	plannedPath := filepath.Join(dir, "planned.json")
	if err := os.WriteFile(plannedPath, append(append([]byte(`{"Records":[`), bytes.Join(planned, []byte(","))...), "]}"...), 0o644); err != nil {
		t.Fatal(err)
	}
	paths := []string{plannedPath}
	for _, f := range sampleFiles {
		paths = append(paths, filepath.Join(sampleDir, filepath.FromSlash(f.key)))
	}
	for _, path := range paths {
		out, err := exec.Command(python, baseline, "--rows", path).Output()
		if err != nil {
			t.Fatalf("%s: %v", baseline, err)
		}
		var pyRows []counters.Row
		var pySum struct{ Records, Malformed int }
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var r counters.Row
			if bytes.Contains(sc.Bytes(), []byte(`"seconds"`)) {
				if err := json.Unmarshal(sc.Bytes(), &pySum); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			pyRows = append(pyRows, r)
		}
		h, _, rep := newHandler(t)
		var stderr bytes.Buffer
		if code := aggregateFile(context.Background(), h, h.Log, path, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", path, code, stderr.String())
		}
		goRows := rep.rows[rep.sums[0].Key]
		if !slices.Equal(goRows, pyRows) || rep.sums[0].Records != pySum.Records || rep.sums[0].Malformed != pySum.Malformed {
			t.Errorf("%s: go %d rows (%d records, %d malformed), python %d rows (%+v)", filepath.Base(path), len(goRows),
				rep.sums[0].Records, rep.sums[0].Malformed, len(pyRows), pySum)
		}
	}
}

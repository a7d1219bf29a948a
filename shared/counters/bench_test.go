package counters

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/logfile"
)

// benchLog is an uncompressed generated log file of n records, the same mix as the
// aggregator's benchmark file: these benchmarks measure decoding and counting without gunzip.
func benchLog(b *testing.B, n int) []byte {
	b.Helper()
	raw, err := io.ReadAll(trailgen.Bench(1, n))
	if err != nil {
		b.Fatal(err)
	}
	trailgen.OneCore(b)
	return raw
}

// BenchmarkParse: framing, validating and extracting the counter fields of every record.
func BenchmarkParse(b *testing.B) {
	raw := benchLog(b, 20_000)
	b.SetBytes(int64(len(raw)))
	n := 0
	for b.Loop() {
		lr, err := logfile.NewReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		var p Parser
		for n = 0; ; n++ {
			if _, err := lr.NextFunc(p.Parse); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkTallyAdd: counting a generated log file's 200,000 records: the aggregator's
// benchmark file ("bench": about 68,500 distinct counters) and its high-cardinality one
// ("high-cardinality": about 113,000, where storing new keys and the table's cache misses
// dominate). The keys are extracted beforehand and kept encoded in one byte slice, as the read
// buffer holds them in the aggregator (a Key of strings per record would make the collector's
// work, not the tally's, the measure); decoding one is part of each Add here.
func BenchmarkTallyAdd(b *testing.B) {
	files := []struct {
		name string
		log  func() io.Reader
	}{
		{"bench", func() io.Reader { return trailgen.Bench(1, trailgen.BenchRecords) }},
		{"high-cardinality", func() io.Reader { return trailgen.HighCardinality(1, trailgen.BenchRecords) }},
	}
	for _, f := range files {
		b.Run(f.name, func(b *testing.B) {
			raw, err := io.ReadAll(f.log())
			if err != nil {
				b.Fatal(err)
			}
			trailgen.OneCore(b)
			benchTallyAdd(b, raw)
		})
	}
}

func benchTallyAdd(b *testing.B, raw []byte) {
	lr, err := logfile.NewReader(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	var p Parser
	var enc Tally
	var keys []byte
	var ends []int
	for {
		if _, err := lr.NextFunc(p.Parse); err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, enc.encode(&p.Record().Key)...)
		ends = append(ends, len(keys))
	}
	all := unsafe.String(&keys[0], len(keys))
	b.ReportAllocs()
	var t *Tally
	cpu := processCPU()
	for b.Loop() {
		t = NewTally()
		start := 0
		for _, end := range ends {
			k := decodeKey(all[start:end])
			t.Add(&k)
			start = end
		}
	}
	if cpu > 0 {
		// The process's CPU time (the collector's included) is steadier than the elapsed time
		// on a shared machine.
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(len(ends)*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(t.Len()), "counters")
}

// processCPU is the CPU time the process has used (user and system, every thread), read from
// Linux's /proc/self/stat in clock ticks (assumed 100 a second, as on every Linux this runs
// on); 0 where there is no such file.
func processCPU() time.Duration {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name (in parentheses, which may hold spaces): state is the
	// first, utime the 12th and stime the 13th.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// BenchmarkApplyMemory applies the tally of the aggregator benchmark file (200,000 records,
// about 68,500 counters) to a Table whose DynamoDB answers every write at once, and reports the
// peak heap in use while the writes go out: what a file's counters cost in memory beyond the
// counting itself.
func BenchmarkApplyMemory(b *testing.B) {
	lr, err := logfile.NewReader(trailgen.Bench(1, trailgen.BenchRecords))
	if err != nil {
		b.Fatal(err)
	}
	tally := NewTally()
	var p Parser
	for {
		if _, err := lr.NextFunc(p.Parse); err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		tally.Add(&p.Record().Key)
	}
	db := &heapSampler{every: 500}
	table := &Table{Client: db, Name: "counters", Retention: 90 * 24 * time.Hour}
	var applied Applied
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		db.base = ms.HeapInuse
		if applied, err = table.Apply(context.Background(), FileID{Bucket: "b", Key: "k", ETag: "e"}, tally); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tally.Len()), "counters")
	b.ReportMetric(float64(applied.Written), "writes")
	b.ReportMetric(float64(db.peak-db.base)/(1<<20), "apply-heap-MB")
}

// heapSampler is a DynamoDB that accepts every update and samples the heap in use every
// `every` calls.
type heapSampler struct {
	mu         sync.Mutex
	every, n   int
	base, peak uint64
}

func (h *heapSampler) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n++; h.n%h.every == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.peak = max(h.peak, ms.HeapInuse)
	}
	return &dynamodb.UpdateItemOutput{Attributes: map[string]types.AttributeValue{}}, nil
}

func (h *heapSampler) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, errors.New("not used")
}

func (h *heapSampler) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, errors.New("not used")
}

func (h *heapSampler) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

func (h *heapSampler) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return &dynamodb.DeleteItemOutput{}, nil
}

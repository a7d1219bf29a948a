package counters

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/internal/trailgen"
)

// heapKey is the i-th of n distinct counters of one account-hour, shaped as real ones (ARNs,
// IPv4/IPv6 sources, event names, resource types, some errors).
func heapKey(i int) Key {
	id := trailgen.MakeIdentity("111122223333", i/4)
	errs := [...]string{"", "", "", "AccessDenied"}
	return Key{Hour: "2026-11-20T08", Account: "111122223333", Principal: id.Principal, SourceIP: trailgen.MakeSource(i / 3),
		EventName:    [...]string{"GetObject", "DescribeInstances", "AssumeRole", "Decrypt", "PutObject"}[i%5],
		ResourceType: [...]string{"AWS::S3::Object", "", "AWS::IAM::Role", "AWS::KMS::Key"}[i%4], ErrorCode: errs[i%4], EventType: "AwsApiCall"}
}

// liveSampler is a DynamoDB that accepts every write and, at each stage put, measures the live
// heap (after a collection): the peak of what applying a file holds.
type liveSampler struct {
	heapSampler
	livePeak uint64
}

func (l *liveSampler) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	l.livePeak = max(l.livePeak, ms.HeapAlloc)
	return &dynamodb.PutItemOutput{}, nil
}

// BenchmarkCounterHeap measures the memory one distinct counter costs in the Lambda path: the
// tally's live heap per counter once a file is counted, and the peak while its counts are
// staged (tally + the stage being encoded and compressed). With -benchmem, B/op and
// allocs/op are per file of 100,000 distinct counters. shared/counters/doc.go turns these into
// the largest file a 128 MB and a 512 MB function take.
func BenchmarkCounterHeap(b *testing.B) {
	const n = 100_000
	b.ReportAllocs()
	var tallyB, peakB float64
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		t := NewTally()
		for i := 0; t.Len() < n; i++ {
			k := heapKey(i)
			t.Add(&k)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		tallyB = float64(ms.HeapAlloc-base) / n
		db := &liveSampler{heapSampler: heapSampler{every: 1}}
		tb := &Table{Client: db, Name: "counters", Retention: 90 * 24 * time.Hour}
		if _, err := tb.Apply(context.Background(), FileID{Bucket: "b", Key: "k", ETag: "e"}, t); err != nil {
			b.Fatal(err)
		}
		peakB = float64(max(db.livePeak, ms.HeapAlloc)-base) / n
		runtime.KeepAlive(t)
	}
	b.ReportMetric(tallyB, "tally-B/counter")
	b.ReportMetric(peakB, "peak-B/counter")
}

package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/internal/localtest"
)

// discardStore accepts every change: the benchmark measures the enricher, not a table.
type discardStore struct{}

func (discardStore) Put(_ context.Context, c Change) (Change, bool, error) { return c, true, nil }

// BenchmarkHandleWarmCache measures records per second through the handler (decode, filter,
// resource extraction, tags from a warm cache, record building) for a mix of sample events.
func BenchmarkHandleWarmCache(b *testing.B) {
	files := []string{"ec2-2-modify-instance-attribute.json", "s3-3-put-bucket-versioning.json",
		"rds-2-modify-db-instance.json", "kms-schedule-key-deletion.json", "ec2-failed-authorize-ingress.json"}
	f := newFixture(b, nil)
	f.h.Store = discardStore{}
	ctx := context.Background()
	var events [][]byte
	for _, name := range files {
		ev := localtest.Event(b, "tagenrich", name)
		if err := f.h.Handle(ctx, ev); err != nil { // warms the cache
			b.Fatal(err)
		}
		for i := range 200 { // distinct event IDs, as a real stream has
			events = append(events, []byte(strings.Replace(string(ev), `"eventID": "`, fmt.Sprintf(`"eventID": "%04d-`, i), 1)))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if err := f.h.Handle(ctx, events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
}

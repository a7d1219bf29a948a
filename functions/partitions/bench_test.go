package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/metrics"
)

// BenchmarkHandle measures events per second through decoding, key parsing and
// deduplication, with every partition already known (the steady state: one Glue call per
// new partition, none per file).
func BenchmarkHandle(b *testing.B) {
	key := func(i int) string {
		return fmt.Sprintf("AWSLogs/o-aa111bb222/%012d/CloudTrail/us-east-1/2024/05/%02d/%012d_CloudTrail_us-east-1_20240514T%04dZ_%016d.json.gz",
			444455556666+i%3, 10+i%5, 444455556666+i%3, i%2400, i)
	}
	var bodies []string
	for i := range 100 {
		if i%2 == 0 {
			bodies = append(bodies, s3Notice(trailBucket, key(i)))
		} else {
			bodies = append(bodies, ebEvent(trailBucket, key(i)))
		}
	}
	cases := []struct {
		name   string
		event  []byte
		events int
	}{
		{"sqs-batch-100", []byte(sqsBatch(bodies...)), 100},
		{"eventbridge", []byte(ebEvent(trailBucket, key(1))), 1},
		{"s3-notification", []byte(s3Notice(trailBucket, key(2))), 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			layout := keylayout.CloudTrail()
			h := &Handler{Layout: layout, Columns: layout.Columns(), Bucket: trailBucket, Registry: &memoryRegistry{},
				Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: &metrics.Counters{Function: "partitions"}}
			if _, err := h.Handle(context.Background(), c.event); err != nil { // partitions now known
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Handle(context.Background(), c.event); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*c.events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

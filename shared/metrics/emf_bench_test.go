package metrics

import (
	"io"
	"testing"
	"time"
)

// BenchmarkFlush: one invocation's EMF line with eight counters, as every invocation writes.
func BenchmarkFlush(b *testing.B) {
	c := &Counters{Function: "logincheck"}
	now := time.Unix(1700000000, 0)
	names := []string{"EventsReceived", "EventsChecked", "AlertsSent", "AlertsSuppressed", "EventsMalformed", "EventsForged", "LedgerClaims", "DigestsFlushed"}
	b.ReportAllocs()
	for range b.N {
		for i, n := range names {
			c.Add(n, i+1)
		}
		if err := c.Flush(io.Discard, now); err != nil {
			b.Fatal(err)
		}
	}
}

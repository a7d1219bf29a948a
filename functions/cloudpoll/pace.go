package main

import (
	"context"
	"sync"
	"time"

	"github.com/trailguard/trailguard/shared/cloudaudit"
)

// RequestRate is how many requests per second each cloud's audit API takes from one account:
// ActionTrail LookupEvents 2 (its API reference: "you can call this operation up to 2 times
// per second per account"), CloudAudit DescribeEvents 20 (its API reference). CTS ListTraces
// publishes no per-second limit; its throttling answer (APIGW.0308) is retried instead. A
// cloud not listed is not paced.
var RequestRate = map[string]float64{cloudaudit.Alibaba: 2, cloudaudit.Tencent: 20}

// Pacer spaces requests with one token bucket per key (a source): a key's bucket holds up to
// Burst tokens, refilled at Rate per second, and each request takes one, waiting for it when
// the bucket is empty. Throttling answers are still retried (Handler.fetch), but a pacer
// keeps a poll under the documented limit instead of finding it by being refused; a waiting
// request holds its turn (reservations), so concurrent callers never overtake the rate.
type Pacer struct {
	// Rate is tokens per second; Burst the bucket's size (at least 1).
	Rate  float64
	Burst int
	// Now and Sleep are the clock and the wait (time.Now and a timer honouring ctx); tests
	// inject a simulated clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// Wait takes one token of key's bucket, waiting until there is one. A nil Pacer or a
// non-positive Rate does not pace.
func (p *Pacer) Wait(ctx context.Context, key string) error {
	if p == nil || p.Rate <= 0 {
		return nil
	}
	now := p.Now()
	burst := float64(max(p.Burst, 1))
	p.mu.Lock()
	if p.buckets == nil {
		p.buckets = map[string]*bucket{}
	}
	b := p.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		p.buckets[key] = b
	}
	if now.After(b.at) {
		b.tokens = min(burst, b.tokens+now.Sub(b.at).Seconds()*p.Rate)
		b.at = now
	}
	b.tokens-- // reserved: a negative balance is the wait of those queued before
	wait := time.Duration(0)
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / p.Rate * float64(time.Second))
	}
	p.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	return p.Sleep(ctx, wait)
}

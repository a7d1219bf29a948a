package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// flakyPublisher fails every Publish while fail is set, else delivers to sent.
type flakyPublisher struct {
	memPublisher
	fail bool
}

func (p *flakyPublisher) Publish(ctx context.Context, alerts []Alert) error {
	if p.fail {
		return errors.New("sns: throttled")
	}
	return p.memPublisher.Publish(ctx, alerts)
}

func quietSender(l Ledger, p Publisher, clock *time.Time) *Sender {
	return &Sender{Ledger: l, Publisher: p, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return *clock }}
}

// floodOf200 delivers 200 failed sign-ins for alice from 200 addresses of one IPv6 /64,
// 10 seconds apart from t0 (as TestFloodFoldsIntoDigest), and then nothing more.
func floodOf200(t *testing.T, s *Sender, clock *time.Time, round int) {
	t.Helper()
	for i := range 200 {
		*clock = t0.Add(time.Duration(i) * 10 * time.Second)
		ip := fmt.Sprintf("2a02:1810:4d02:a100:%x:%x:%x:%x", 0x1000+i, i*7, i*13, 0xffff-i)
		if err := s.Publish(context.Background(), signInAlerts(fmt.Sprintf("ev-%d", i), ip, "Failure")); err != nil {
			t.Fatalf("round %d event %d: %v", round, i, err)
		}
	}
}

// TestFloodDigestFlushedWhenFloodStops: a flood of 200 failed sign-ins that stops is
// reported by the scheduled flush: nothing while its window is open; after it, exactly one
// digest per kind with the count, the /64, the start and the flood's severity; a second flush
// sends nothing; a redelivery of the whole flood sends and counts nothing, and the next alert
// of the flood carries no digest (it was reported). Memory and DynamoDB ledgers alike.
func TestFloodDigestFlushedWhenFloodStops(t *testing.T) {
	for _, lc := range ledgers() {
		t.Run(lc.name, func(t *testing.T) {
			ctx := context.Background()
			pub, clock := &memPublisher{}, t0
			l := lc.new(t, LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 3})
			s := quietSender(l, pub, &clock)
			floodOf200(t, s, &clock, 1)
			if len(pub.sent) != 6 {
				t.Fatalf("the flood sent %d alerts, want 3 per kind", len(pub.sent))
			}

			if f, err := s.FlushDigests(ctx, t0.Add(58*time.Minute)); err != nil || f.Sent != 0 {
				t.Fatalf("flush inside the window: %+v, %v; want nothing sent", f, err)
			}
			f, err := s.FlushDigests(ctx, t0.Add(65*time.Minute)) // the first scheduled flush after 11:02
			if err != nil {
				t.Fatal(err)
			}
			digests := pub.sent[6:]
			if f.Sent != 2 || len(digests) != 2 {
				t.Fatalf("flush after the window: %+v, %d alerts; want one digest per kind", f, len(digests))
			}
			severity := map[string]Severity{"failed-sign-in": Medium, "untrusted-source-ip": High}
			for _, d := range digests {
				if d.Folded != 197 || d.FoldedFrom != "2a02:1810:4d02:a100::/64" || !d.FoldedSince.Equal(t0.Add(30*time.Second)) {
					t.Errorf("digest %s: +%d from %q since %v, want +197 from the /64 since 10:02:30", d.Kind, d.Folded, d.FoldedFrom, d.FoldedSince)
				}
				if d.Severity != severity[d.Kind] || d.Account != "111122223333" || d.User != "alice" || d.Outcome != "Failure" {
					t.Errorf("digest %s: severity %s account %s user %s outcome %s", d.Kind, d.Severity, d.Account, d.User, d.Outcome)
				}
				m := Render(d)
				if want := "+197 from 2a02:1810:4d02:a100::/64 since 10:02"; !strings.Contains(m.SMS, want) || len(m.SMS) > MaxSMSBytes {
					t.Errorf("SMS %q lacks %q or is too long", m.SMS, want)
				}
				if !strings.Contains(m.Email, "the flood stopped") {
					t.Errorf("email does not say the flood stopped:\n%s", m.Email)
				}
			}

			if f, err := s.FlushDigests(ctx, t0.Add(70*time.Minute)); err != nil || f.Sent != 0 {
				t.Fatalf("second flush: %+v, %v; want nothing sent", f, err)
			}
			floodOf200(t, s, &clock, 2) // Lambda redelivers the whole flood
			if f, err := s.FlushDigests(ctx, t0.Add(75*time.Minute)); err != nil || f.Sent != 0 || len(pub.sent) != 8 {
				t.Fatalf("after a redelivery: flush %+v, %v, %d alerts; want nothing more", f, err, len(pub.sent))
			}
			if ml, ok := l.(*MemoryLedger); ok {
				probe := signInAlerts("x", "2a02:1810:4d02:a100::9", "Failure")
				if n := ml.Folded(&probe[0]); n != 0 {
					t.Errorf("%d folded alerts left after the flush, want 0", n)
				}
			}
			clock = t0.Add(80 * time.Minute)
			if err := s.Publish(ctx, signInAlerts("ev-late", "2a02:1810:4d02:a100::42", "Failure")); err != nil {
				t.Fatal(err)
			}
			for _, a := range pub.sent[8:] {
				if a.Folded != 0 {
					t.Errorf("late alert %s carries +%d already flushed", a.Kind, a.Folded)
				}
			}
			if len(pub.sent) != 10 {
				t.Errorf("late alert: %d alerts sent, want 2", len(pub.sent)-8)
			}
		})
	}
}

// TestFloodDigestOnceUnderRaces: after floods stop, two flushes and a late alert of each
// flood run at once; every flood's digest is reported exactly once, by whichever got there
// first (a digest carried by the late alert, or sent by one of the flushes).
func TestFloodDigestOnceUnderRaces(t *testing.T) {
	for _, lc := range ledgers() {
		t.Run(lc.name, func(t *testing.T) {
			ctx := context.Background()
			pub, clock := &memPublisher{}, t0
			l := lc.new(t, LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 1})
			s := quietSender(l, pub, &clock)
			const floods = 8
			flood := func(p, i int, id string) Alert {
				a := alertFor(id)
				a.Principal, a.User = fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", p), fmt.Sprintf("u%d", p)
				a.SourceIP = fmt.Sprintf("203.0.113.%d", i)
				return a
			}
			for p := range floods {
				for i := range 5 {
					clock = t0.Add(time.Duration(i) * time.Minute)
					if err := s.Publish(ctx, []Alert{flood(p, i, fmt.Sprintf("p%d-e%d", p, i))}); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := len(pub.sent)
			late := t0.Add(66 * time.Minute)
			clock = late
			var wg sync.WaitGroup
			errs := make(chan error, floods+2)
			for range 2 {
				wg.Go(func() {
					if _, err := s.FlushDigests(ctx, late); err != nil {
						errs <- err
					}
				})
			}
			for p := range floods {
				wg.Go(func() {
					if err := s.Publish(ctx, []Alert{flood(p, 99, fmt.Sprintf("p%d-late", p))}); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			reported := map[string]int{}
			for _, a := range pub.sent[before:] {
				reported[a.User] += a.Folded
			}
			for p := range floods {
				if n := reported[fmt.Sprintf("u%d", p)]; n != 4 {
					t.Errorf("flood u%d: %d folded alerts reported, want 4 exactly once", p, n)
				}
			}
			if f, err := s.FlushDigests(ctx, late.Add(5*time.Minute)); err != nil || f.Sent != 0 {
				t.Errorf("a later flush: %+v, %v; want nothing", f, err)
			}
		})
	}
}

// TestFloodDigestFlushRetriesFailedPublish: a digest whose publish fails is released, not
// lost: the flush reports the failure, and the next flush sends it, once.
func TestFloodDigestFlushRetriesFailedPublish(t *testing.T) {
	for _, lc := range ledgers() {
		t.Run(lc.name, func(t *testing.T) {
			ctx := context.Background()
			pub, clock := &flakyPublisher{}, t0
			l := lc.new(t, LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 1})
			s := quietSender(l, pub, &clock)
			for i, ip := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.200"} {
				clock = t0.Add(time.Duration(i) * time.Minute)
				a := alertFor(fmt.Sprintf("e%d", i))
				a.SourceIP = ip
				if err := s.Publish(ctx, []Alert{a}); err != nil {
					t.Fatal(err)
				}
			}
			pub.fail = true
			f, err := s.FlushDigests(ctx, t0.Add(65*time.Minute))
			if err == nil || f.Failed != 1 || f.Sent != 0 {
				t.Fatalf("failing flush: %+v, %v; want one failed digest and an error", f, err)
			}
			pub.fail = false
			if f, err := s.FlushDigests(ctx, t0.Add(70*time.Minute)); err != nil || f.Sent != 1 {
				t.Fatalf("next flush: %+v, %v; want the digest", f, err)
			}
			d := pub.sent[len(pub.sent)-1]
			if d.Folded != 3 || d.FoldedFrom != "198.51.100.0/24" || !d.FoldedSince.Equal(t0.Add(time.Minute)) {
				t.Errorf("digest +%d from %q since %v, want +3 from the /24 since 10:03", d.Folded, d.FoldedFrom, d.FoldedSince)
			}
			if f, err := s.FlushDigests(ctx, t0.Add(75*time.Minute)); err != nil || f.Sent != 0 {
				t.Errorf("third flush: %+v, %v; want nothing", f, err)
			}
		})
	}
}

// TestFloodDigestAfterFailedCarrier: the alert after the window took the digest but was not
// delivered, and the flood stops there (no retry comes): the flush sends the digest.
func TestFloodDigestAfterFailedCarrier(t *testing.T) {
	for _, lc := range ledgers() {
		t.Run(lc.name, func(t *testing.T) {
			ctx := context.Background()
			l := lc.new(t, LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 1})
			claim := func(id string, at time.Duration) (Alert, Claim) {
				a := alertFor(id)
				a.SourceIP = "198.51.100." + strconv.Itoa(int(at/time.Minute))
				c, err := l.Claim(ctx, &a, t0.Add(at), t0.Add(at+30*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				return a, c
			}
			a, c := claim("e1", 0)
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
			claim("f1", time.Minute)
			claim("f2", 2*time.Minute)
			a, c = claim("after", 61*time.Minute)
			if c.Folded != 2 {
				t.Fatalf("the alert after the window carries +%d, want +2", c.Folded)
			}
			if err := l.Release(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
			pub, clock := &memPublisher{}, t0.Add(70*time.Minute)
			if f, err := quietSender(l, pub, &clock).FlushDigests(ctx, clock); err != nil || f.Sent != 1 || pub.sent[0].Folded != 2 {
				t.Fatalf("flush: %+v, %v, %v; want the +2 digest", f, err, pub.sent)
			}
		})
	}
}

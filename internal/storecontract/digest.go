package storecontract

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
)

// folder is what a ledger that can say how many alerts a flood holds folded offers (the memory
// and SQLite ledgers); the suite checks it where a ledger has it.
type folder interface {
	Folded(a *alert.Alert) int
}

// SignInAlerts are the two alerts logincheck raises for one failed sign-in from an address
// outside ALLOWED_CIDRS: failed-sign-in (MEDIUM) and untrusted-source-ip (HIGH); a success
// raises the second only.
func SignInAlerts(eventID, ip, outcome string) []alert.Alert {
	failed, untrusted := Sample(), Sample()
	failed.Kind, failed.Severity, failed.Title = "failed-sign-in", alert.Medium, "failed sign-in"
	for _, a := range []*alert.Alert{&failed, &untrusted} {
		a.EventID, a.SourceIP, a.Outcome = eventID, ip, outcome
		a.Principal, a.User = "arn:aws:iam::111122223333:user/alice", "alice"
	}
	if outcome == "Success" {
		return []alert.Alert{untrusted}
	}
	return []alert.Alert{failed, untrusted}
}

// floodOf200 delivers 200 failed sign-ins for alice from 200 addresses of one IPv6 /64,
// 10 seconds apart from T0, and then nothing more; successAt, when not negative, adds a
// successful sign-in after that event.
func floodOf200(t *testing.T, s *alert.Sender, clock *time.Time, round, successAt int) {
	t.Helper()
	for i := range 200 {
		*clock = T0.Add(time.Duration(i) * 10 * time.Second)
		ip := fmt.Sprintf("2a02:1810:4d02:a100:%x:%x:%x:%x", 0x1000+i, i*7, i*13, 0xffff-i)
		if err := s.Publish(context.Background(), SignInAlerts(fmt.Sprintf("ev-%d", i), ip, "Failure")); err != nil {
			t.Fatalf("round %d event %d: %v", round, i, err)
		}
		if i == successAt {
			if err := s.Publish(context.Background(), SignInAlerts("ev-success", "2a02:1810:4d02:a100::1", "Success")); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// DigestLedger runs the flood control and flood digest contract (alert.LedgerOptions.FloodCap,
// alert.DigestLedger) through a real Sender: floods fold into a digest carried by the next
// alert or sent by the flush once, even when sends fail, the alert carrying it dies before
// it finishes, or flushes and alerts race. The ledgers newLedger makes must be
// alert.DigestLedgers.
func DigestLedger(t *testing.T, newLedger NewLedger) {
	t.Run("FloodFoldsIntoDigest", func(t *testing.T) { floodFoldsIntoDigest(t, newLedger) })
	t.Run("FloodDigestSurvivesFailedSend", func(t *testing.T) { floodDigestSurvivesFailedSend(t, newLedger) })
	t.Run("FlushedWhenFloodStops", func(t *testing.T) { digestFlushedWhenFloodStops(t, newLedger) })
	t.Run("OnceUnderRaces", func(t *testing.T) { digestOnceUnderRaces(t, newLedger) })
	t.Run("FlushRetriesFailedPublish", func(t *testing.T) { digestFlushRetriesFailedPublish(t, newLedger) })
	t.Run("AfterFailedCarrier", func(t *testing.T) { digestAfterFailedCarrier(t, newLedger) })
	t.Run("FoldRetriedAfterItLandedCountsOnce", func(t *testing.T) { foldRetriedCountsOnce(t, newLedger) })
	t.Run("OpeningRetriedAfterItLandedCarriesTheDigest", func(t *testing.T) { openingRetriedCarriesDigest(t, newLedger) })
	t.Run("CountRetriedAfterItLandedCountsOnce", func(t *testing.T) { countRetriedCountsOnce(t, newLedger) })
	t.Run("ReleasedOpenerReopens", func(t *testing.T) { releasedOpenerReopens(t, newLedger) })
	t.Run("UnfinishedOpenerFlushedWhenFloodStops", func(t *testing.T) { unfinishedOpenerFlushed(t, newLedger) })
	t.Run("UnfinishedOpenerCarriedByNextOpening", func(t *testing.T) { unfinishedOpenerCarriedByNextOpening(t, newLedger) })
	t.Run("LiveOpenerNotFlushedAgain", func(t *testing.T) { liveOpenerNotFlushedAgain(t, newLedger) })
	t.Run("UnfinishedOpenerOnceUnderRaces", func(t *testing.T) { unfinishedOpenerOnceUnderRaces(t, newLedger) })
}

// foldRetriedCountsOnce: with a flood capped at 1, an alert's fold lands and its write is
// retried (by the SDK, or by Lambda redelivering the alert after the claim failed); the retry
// is folded, not sent, and the digest the next window's alert carries counts it once: +2 for
// the two alerts folded, never +3.
func foldRetriedCountsOnce(t *testing.T, newLedger NewLedger) {
	for _, fault := range faultsOf(t, newLedger) {
		t.Run(fault.String(), func(t *testing.T) {
			ctx := context.Background()
			l := newDigestLedger(t, newLedger, floodOptions(1))
			faulter, injects := l.(WriteFaulter)
			claim := func(id, ip string, at time.Duration) (alert.Alert, alert.Claim, error) {
				a := AlertFor(id)
				a.SourceIP = ip
				c, err := l.Claim(ctx, &a, T0.Add(at), T0.Add(at+30*time.Second))
				return a, c, err
			}
			a, c, err := claim("e1", "198.51.100.1", 0)
			if err != nil || c.Action != alert.Send {
				t.Fatalf("first alert: %v %v", c.Action, err)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}

			if injects && fault != 0 {
				faulter.FaultNext(WriteFold, fault)
			}
			_, c, err = claim("f1", "198.51.100.2", time.Minute)
			switch {
			case injects && fault == ReplyLost:
				if err == nil {
					t.Fatalf("fold whose reply was lost: %v, want an error (so the alert is redelivered)", c.Action)
				}
			case err != nil || c.Action != alert.Suppress || !c.Fold:
				t.Fatalf("fold: %v fold=%v %v, want a fold", c.Action, c.Fold, err)
			}
			// The redelivery: folded (its first claim failed) or a duplicate (it was done), never sent.
			_, c, err = claim("f1", "198.51.100.2", 2*time.Minute)
			if err != nil || !(c.Action == alert.Duplicate || c.Action == alert.Suppress && c.Fold) {
				t.Fatalf("redelivered fold: %v fold=%v %v, want folded or duplicate", c.Action, c.Fold, err)
			}
			if _, c, err = claim("f1", "198.51.100.2", 3*time.Minute); err != nil || c.Action != alert.Duplicate {
				t.Fatalf("second redelivery: %v %v, want duplicate", c.Action, err)
			}
			if _, c, err = claim("f2", "198.51.100.3", 4*time.Minute); err != nil || c.Action != alert.Suppress || !c.Fold {
				t.Fatalf("next fold: %v fold=%v %v", c.Action, c.Fold, err)
			}
			if f, ok := l.(folder); ok {
				if n := f.Folded(&a); n != 2 {
					t.Errorf("folded %d, want 2", n)
				}
			}

			a, c, err = claim("after", "198.51.100.9", 61*time.Minute)
			if err != nil || c.Action != alert.Send {
				t.Fatalf("after the window: %v %v", c.Action, err)
			}
			if c.Folded != 2 || c.FoldedFrom != "198.51.100.0/24" || !c.FoldedSince.Equal(T0.Add(time.Minute)) {
				t.Errorf("digest +%d from %q since %v, want +2 from the /24 since 10:03: each folded alert once",
					c.Folded, c.FoldedFrom, c.FoldedSince)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func newDigestLedger(t *testing.T, newLedger NewLedger, o alert.LedgerOptions) alert.Ledger {
	l := newLedger(t, o)
	if _, ok := l.(alert.DigestLedger); !ok {
		t.Fatalf("%T is not an alert.DigestLedger", l)
	}
	return l
}

func floodOptions(capacity int) alert.LedgerOptions {
	return alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: capacity}
}

// floodFoldsIntoDigest: 200 failed sign-ins for one principal from 200 addresses of one IPv6
// /64 inside the window send FloodCap alerts per kind, the last saying folding has begun; a
// successful sign-in in the middle of the flood is sent (another outcome); a redelivery of the
// whole flood sends and counts nothing; the first sign-in after the window carries the digest:
// how many were folded, the /64, since when.
func floodFoldsIntoDigest(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	pub, clock := &Publisher{}, T0
	l := newDigestLedger(t, newLedger, floodOptions(3))
	s := QuietSender(l, pub, &clock)
	floodOf200(t, s, &clock, 1, 100)
	perKind := map[string]int{}
	for _, a := range pub.Sent {
		perKind[a.Kind+"/"+a.Outcome]++
	}
	if len(pub.Sent) != 7 || perKind["failed-sign-in/Failure"] != 3 || perKind["untrusted-source-ip/Failure"] != 3 || perKind["untrusted-source-ip/Success"] != 1 {
		t.Fatalf("sent %d alerts %v, want 3 per kind of failure and the success", len(pub.Sent), perKind)
	}
	for _, a := range pub.Sent {
		if folding := !a.FoldingUntil.IsZero(); folding != (a.EventID == "ev-2") {
			t.Errorf("alert %s %s: folding until %v; only the third of each kind announces folding", a.Kind, a.EventID, a.FoldingUntil)
		}
	}
	third := pub.Sent[5]
	if m := alert.Render(third); !strings.Contains(m.SMS, "folding till 11:02") {
		t.Errorf("the alert reaching the cap does not announce folding: %q", m.SMS)
	}
	probe := SignInAlerts("x", "2a02:1810:4d02:a100::9", "Failure")
	if f, ok := l.(folder); ok {
		if n := f.Folded(&probe[0]); n != 197 {
			t.Errorf("folded %d failed-sign-in alerts, want 197", n)
		}
	}

	floodOf200(t, s, &clock, 2, -1) // Lambda redelivers the whole flood
	if len(pub.Sent) != 7 {
		t.Fatalf("a redelivery sent %d more alerts", len(pub.Sent)-7)
	}

	clock = T0.Add(61 * time.Minute)
	if err := s.Publish(ctx, SignInAlerts("ev-after", "2a02:1810:4d02:a100::42", "Failure")); err != nil {
		t.Fatal(err)
	}
	digests := pub.Sent[7:]
	if len(digests) != 2 {
		t.Fatalf("after the window: %d alerts, want one digest per kind", len(digests))
	}
	for _, d := range digests {
		if d.Folded != 197 || d.FoldedFrom != "2a02:1810:4d02:a100::/64" || !d.FoldedSince.Equal(T0.Add(30*time.Second)) {
			t.Errorf("digest %s: +%d from %q since %v, want +197 from the /64 since 10:02:30", d.Kind, d.Folded, d.FoldedFrom, d.FoldedSince)
		}
		m := alert.Render(d)
		if want := "+197 from 2a02:1810:4d02:a100::/64 since 10:02"; !strings.Contains(m.SMS, want) {
			t.Errorf("SMS %q lacks %q", m.SMS, want)
		}
		if !strings.Contains(m.SMS, "IP:2a02:1810:4d02:a100::42") || len(m.SMS) > alert.MaxSMSBytes {
			t.Errorf("SMS %q (%d bytes)", m.SMS, len(m.SMS))
		}
		if !strings.Contains(m.Email, "197 more alerts of this kind for this principal were folded since 2026-11-21 10:02 UTC, from 2a02:1810:4d02:a100::/64") {
			t.Errorf("email lacks the digest:\n%s", m.Email)
		}
	}
	if f, ok := l.(folder); ok {
		if n := f.Folded(&probe[0]); n != 0 {
			t.Errorf("%d folded alerts left after the digest, want 0", n)
		}
	}
}

// floodDigestSurvivesFailedSend: when the alert carrying a digest is not delivered, the digest
// goes back to the ledger and the retry reports it.
func floodDigestSurvivesFailedSend(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	l := newDigestLedger(t, newLedger, floodOptions(1))
	claim := func(id, ip string, at time.Duration) (alert.Alert, alert.Claim) {
		a := AlertFor(id)
		a.SourceIP = ip
		c, err := l.Claim(ctx, &a, T0.Add(at), T0.Add(at+30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return a, c
	}
	a, c := claim("e1", "198.51.100.1", 0)
	if c.Action != alert.Send || c.FoldingUntil.IsZero() {
		t.Fatalf("first: %v, folding until %v", c.Action, c.FoldingUntil)
	}
	if err := l.Commit(ctx, &a, c); err != nil {
		t.Fatal(err)
	}
	for i, ip := range []string{"198.51.100.2", "198.51.100.3", "198.51.100.200"} {
		if _, c := claim(fmt.Sprintf("f%d", i), ip, time.Minute); c.Action != alert.Suppress || !c.Fold {
			t.Fatalf("fold %d: %v fold=%v", i, c.Action, c.Fold)
		}
	}
	a, c = claim("after", "198.51.100.9", 61*time.Minute)
	if c.Action != alert.Send || c.Folded != 3 || c.FoldedFrom != "198.51.100.0/24" {
		t.Fatalf("after the window: %v +%d from %q", c.Action, c.Folded, c.FoldedFrom)
	}
	if err := l.Release(ctx, &a, c); err != nil {
		t.Fatal(err)
	}
	a, c = claim("after", "198.51.100.9", 62*time.Minute)
	if c.Action != alert.Send || c.Folded != 3 || c.FoldedFrom != "198.51.100.0/24" || !c.FoldedSince.Equal(T0.Add(time.Minute)) {
		t.Fatalf("retry: %v +%d from %q since %v, want the digest again", c.Action, c.Folded, c.FoldedFrom, c.FoldedSince)
	}
	if err := l.Commit(ctx, &a, c); err != nil {
		t.Fatal(err)
	}
}

// digestFlushedWhenFloodStops: a flood of 200 failed sign-ins that stops is reported by the
// scheduled flush: nothing while its window is open; after it, exactly one digest per kind with
// the count, the /64, the start and the flood's severity; a second flush sends nothing; a
// redelivery of the whole flood sends and counts nothing, and the next alert of the flood
// carries no digest (it was reported).
func digestFlushedWhenFloodStops(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	pub, clock := &Publisher{}, T0
	l := newDigestLedger(t, newLedger, floodOptions(3))
	s := QuietSender(l, pub, &clock)
	floodOf200(t, s, &clock, 1, -1)
	if len(pub.Sent) != 6 {
		t.Fatalf("the flood sent %d alerts, want 3 per kind", len(pub.Sent))
	}

	if f, err := s.FlushDigests(ctx, T0.Add(58*time.Minute)); err != nil || f.Sent != 0 {
		t.Fatalf("flush inside the window: %+v, %v; want nothing sent", f, err)
	}
	f, err := s.FlushDigests(ctx, T0.Add(65*time.Minute)) // the first scheduled flush after 11:02
	if err != nil {
		t.Fatal(err)
	}
	digests := pub.Sent[6:]
	if f.Sent != 2 || len(digests) != 2 {
		t.Fatalf("flush after the window: %+v, %d alerts; want one digest per kind", f, len(digests))
	}
	severity := map[string]alert.Severity{"failed-sign-in": alert.Medium, "untrusted-source-ip": alert.High}
	for _, d := range digests {
		if d.Folded != 197 || d.FoldedFrom != "2a02:1810:4d02:a100::/64" || !d.FoldedSince.Equal(T0.Add(30*time.Second)) {
			t.Errorf("digest %s: +%d from %q since %v, want +197 from the /64 since 10:02:30", d.Kind, d.Folded, d.FoldedFrom, d.FoldedSince)
		}
		if d.Severity != severity[d.Kind] || d.Account != "111122223333" || d.User != "alice" || d.Outcome != "Failure" {
			t.Errorf("digest %s: severity %s account %s user %s outcome %s", d.Kind, d.Severity, d.Account, d.User, d.Outcome)
		}
		m := alert.Render(d)
		if want := "+197 from 2a02:1810:4d02:a100::/64 since 10:02"; !strings.Contains(m.SMS, want) || len(m.SMS) > alert.MaxSMSBytes {
			t.Errorf("SMS %q lacks %q or is too long", m.SMS, want)
		}
		if !strings.Contains(m.Email, "the flood stopped") {
			t.Errorf("email does not say the flood stopped:\n%s", m.Email)
		}
	}

	if f, err := s.FlushDigests(ctx, T0.Add(70*time.Minute)); err != nil || f.Sent != 0 {
		t.Fatalf("second flush: %+v, %v; want nothing sent", f, err)
	}
	floodOf200(t, s, &clock, 2, -1) // Lambda redelivers the whole flood
	if f, err := s.FlushDigests(ctx, T0.Add(75*time.Minute)); err != nil || f.Sent != 0 || len(pub.Sent) != 8 {
		t.Fatalf("after a redelivery: flush %+v, %v, %d alerts; want nothing more", f, err, len(pub.Sent))
	}
	if fl, ok := l.(folder); ok {
		probe := SignInAlerts("x", "2a02:1810:4d02:a100::9", "Failure")
		if n := fl.Folded(&probe[0]); n != 0 {
			t.Errorf("%d folded alerts left after the flush, want 0", n)
		}
	}
	clock = T0.Add(80 * time.Minute)
	if err := s.Publish(ctx, SignInAlerts("ev-late", "2a02:1810:4d02:a100::42", "Failure")); err != nil {
		t.Fatal(err)
	}
	for _, a := range pub.Sent[8:] {
		if a.Folded != 0 {
			t.Errorf("late alert %s carries +%d already flushed", a.Kind, a.Folded)
		}
	}
	if len(pub.Sent) != 10 {
		t.Errorf("late alert: %d alerts sent, want 2", len(pub.Sent)-8)
	}
}

// digestOnceUnderRaces: after floods stop, two flushes and a late alert of each flood run at
// once; every flood's digest is reported exactly once, by whichever got there first (a digest
// carried by the late alert, or sent by one of the flushes).
func digestOnceUnderRaces(t *testing.T, newLedger NewLedger) {
	pub, clock := &Publisher{}, T0
	l := newDigestLedger(t, newLedger, floodOptions(1))
	s := QuietSender(l, pub, &clock)
	const floods = 8
	for p := range floods {
		publishFlood(t, s, &clock, p, 5)
	}
	late := T0.Add(66 * time.Minute)
	clock = late
	flushesRaceLateAlerts(t, s, pub, floods, late, 4)
}

// digestFlushRetriesFailedPublish: a digest whose publish fails is released, not lost: the
// flush reports the failure, and the next flush sends it, once.
func digestFlushRetriesFailedPublish(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	pub, clock := &Publisher{}, T0
	l := newDigestLedger(t, newLedger, floodOptions(1))
	s := QuietSender(l, pub, &clock)
	for i, ip := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.200"} {
		clock = T0.Add(time.Duration(i) * time.Minute)
		a := AlertFor(fmt.Sprintf("e%d", i))
		a.SourceIP = ip
		if err := s.Publish(ctx, []alert.Alert{a}); err != nil {
			t.Fatal(err)
		}
	}
	pub.Fail = true
	f, err := s.FlushDigests(ctx, T0.Add(65*time.Minute))
	if err == nil || f.Failed != 1 || f.Sent != 0 {
		t.Fatalf("failing flush: %+v, %v; want one failed digest and an error", f, err)
	}
	pub.Fail = false
	if f, err := s.FlushDigests(ctx, T0.Add(70*time.Minute)); err != nil || f.Sent != 1 {
		t.Fatalf("next flush: %+v, %v; want the digest", f, err)
	}
	d := pub.Sent[len(pub.Sent)-1]
	if d.Folded != 3 || d.FoldedFrom != "198.51.100.0/24" || !d.FoldedSince.Equal(T0.Add(time.Minute)) {
		t.Errorf("digest +%d from %q since %v, want +3 from the /24 since 10:03", d.Folded, d.FoldedFrom, d.FoldedSince)
	}
	if f, err := s.FlushDigests(ctx, T0.Add(75*time.Minute)); err != nil || f.Sent != 0 {
		t.Errorf("third flush: %+v, %v; want nothing", f, err)
	}
}

// digestAfterFailedCarrier: the alert after the window took the digest but was not delivered,
// and the flood stops there (no retry comes): the flush sends the digest.
func digestAfterFailedCarrier(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	l := newDigestLedger(t, newLedger, floodOptions(1))
	claim := func(id string, at time.Duration) (alert.Alert, alert.Claim) {
		a := AlertFor(id)
		a.SourceIP = "198.51.100." + strconv.Itoa(int(at/time.Minute))
		c, err := l.Claim(ctx, &a, T0.Add(at), T0.Add(at+30*time.Second))
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
	pub, clock := &Publisher{}, T0.Add(70*time.Minute)
	if f, err := QuietSender(l, pub, &clock).FlushDigests(ctx, clock); err != nil || f.Sent != 1 || pub.Sent[0].Folded != 2 {
		t.Fatalf("flush: %+v, %v, %v; want the +2 digest", f, err, pub.Sent)
	}
}

// claimAt claims the alert of event id from ip at T0+at for l, failing the test on an error.
func claimAt(t *testing.T, l alert.Ledger, id, ip string, at time.Duration) (alert.Alert, alert.Claim) {
	t.Helper()
	a := AlertFor(id)
	a.SourceIP = ip
	c, err := l.Claim(context.Background(), &a, T0.Add(at), T0.Add(at+30*time.Second))
	if err != nil {
		t.Fatalf("%s at +%s: %v", id, at, err)
	}
	return a, c
}

// sentCarrying claims the alert of event id from ip at T0+at for l, fails the test unless it
// is sent carrying +folded (what names it in the message), and commits it; it returns the
// alert.
func sentCarrying(t *testing.T, l alert.Ledger, id, ip string, at time.Duration, folded int, what string) alert.Alert {
	t.Helper()
	a, c := claimAt(t, l, id, ip, at)
	if c.Action != alert.Send || c.Folded != folded {
		t.Fatalf("%s: %v carrying +%d, want sent carrying +%d", what, c.Action, c.Folded, folded)
	}
	if err := l.Commit(context.Background(), &a, c); err != nil {
		t.Fatalf("%s: commit: %v", what, err)
	}
	return a
}

// claimIs claims the alert of event id from ip at T0+at for l and fails the test unless the
// ledger decides want (fold: a Suppress decided by flood control); what names it.
func claimIs(t *testing.T, l alert.Ledger, id, ip string, at time.Duration, want alert.Action, fold bool, what string) {
	t.Helper()
	if _, c := claimAt(t, l, id, ip, at); c.Action != want || c.Fold != fold {
		t.Fatalf("%s: %v fold=%v, want %v fold=%v", what, c.Action, c.Fold, want, fold)
	}
}

// perFault runs body as a subtest for each fault faultsOf gives, each on a fresh digest ledger
// with the flood capped at capacity whose first alert (e1 from 198.51.100.1 at T0) was sent
// carrying nothing and committed.
func perFault(t *testing.T, newLedger NewLedger, capacity int, body func(t *testing.T, l alert.Ledger, fault Fault)) {
	for _, fault := range faultsOf(t, newLedger) {
		t.Run(fault.String(), func(t *testing.T) {
			l := newDigestLedger(t, newLedger, floodOptions(capacity))
			sentCarrying(t, l, "e1", "198.51.100.1", 0, 0, "first alert")
			body(t, l, fault)
		})
	}
}

// openingRetriedCarriesDigest: with a flood capped at 1 that folded two alerts, the alert
// after the window opens the next one and takes the digest; that opening lands and is retried
// (by the SDK, or by Lambda redelivering the alert after the claim failed). The retry opens
// nothing again and is not counted nor folded: it is the opener, sent carrying +2, and its
// Commit settles the digest, so the next window's digest is +1 alone (the +2 not stranded,
// carried again nor lost).
func openingRetriedCarriesDigest(t *testing.T, newLedger NewLedger) {
	perFault(t, newLedger, 1, func(t *testing.T, l alert.Ledger, fault Fault) {
		for i, ip := range []string{"198.51.100.2", "198.51.100.3"} {
			claimIs(t, l, fmt.Sprintf("f%d", i), ip, time.Duration(i+1)*time.Minute, alert.Suppress, true, fmt.Sprintf("fold %d", i))
		}

		o := AlertFor("o1")
		o.SourceIP = "198.51.100.9"
		c := claimThrough(t, l, WriteOpen, fault, &o, T0.Add(61*time.Minute))
		if c.Action != alert.Send || c.Folded != 2 || c.FoldedFrom != "198.51.100.0/24" || !c.FoldedSince.Equal(T0.Add(time.Minute)) {
			t.Fatalf("the opener: %v carrying +%d from %q since %v, want sent carrying +2 from the /24 since 10:03",
				c.Action, c.Folded, c.FoldedFrom, c.FoldedSince)
		}
		if c.FoldingUntil.IsZero() {
			t.Error("the opener of a window capped at 1 does not announce folding")
		}
		if err := l.Commit(context.Background(), &o, c); err != nil {
			t.Fatal(err)
		}
		claimIs(t, l, "o1", "198.51.100.9", 64*time.Minute, alert.Duplicate, false, "the opener redelivered after its Commit")
		claimIs(t, l, "f3", "198.51.100.4", 65*time.Minute, alert.Suppress, true, "an alert after the opener (cap 1)")
		if f, ok := l.(folder); ok {
			if n := f.Folded(&o); n != 1 {
				t.Errorf("folded %d, want 1: the carried digest settled", n)
			}
		}
		sentCarrying(t, l, "z", "198.51.100.8", 125*time.Minute, 1, "after the second window")
	})
}

// countRetriedCountsOnce: with a flood capped at 2, the second alert's count in the window
// lands and is retried (by the SDK, or by a redelivery after the claim failed): it is sent,
// announcing folding, and counted once, so the window is capped exactly at 2, and the next
// alert is folded and reported +1 after the window.
func countRetriedCountsOnce(t *testing.T, newLedger NewLedger) {
	perFault(t, newLedger, 2, func(t *testing.T, l alert.Ledger, fault Fault) {
		b := AlertFor("e2")
		b.SourceIP = "198.51.100.2"
		c := claimThrough(t, l, WriteCount, fault, &b, T0.Add(time.Minute))
		if c.Action != alert.Send || c.FoldingUntil.IsZero() {
			t.Fatalf("the counted alert: %v folding until %v, want sent announcing folding", c.Action, c.FoldingUntil)
		}
		if err := l.Commit(context.Background(), &b, c); err != nil {
			t.Fatal(err)
		}
		claimIs(t, l, "e2", "198.51.100.2", 3*time.Minute, alert.Duplicate, false, "the counted alert redelivered after its Commit")
		claimIs(t, l, "f1", "198.51.100.3", 4*time.Minute, alert.Suppress, true, "the third alert (cap 2)")
		sentCarrying(t, l, "z", "198.51.100.8", 61*time.Minute, 1, "after the window")
	})
}

// releasedOpenerReopens: the alert that opened a window (carrying no digest) fails to publish
// after alerts were folded in its window, and is released: the window reopens with its retry,
// which carries those folds (the memory ledger's Release), rather than the window keeping the
// failed alert's count and the retry carrying nothing.
func releasedOpenerReopens(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	l := newDigestLedger(t, newLedger, floodOptions(1))
	sentCarrying(t, l, "e1", "198.51.100.1", 0, 0, "first alert")
	o, c := claimAt(t, l, "o1", "198.51.100.2", 61*time.Minute)
	if c.Action != alert.Send || c.Folded != 0 {
		t.Fatalf("the opener: %v carrying +%d, want sent carrying nothing", c.Action, c.Folded)
	}
	claimIs(t, l, "f1", "198.51.100.3", 62*time.Minute, alert.Suppress, true, "an alert in the opener's window")
	if err := l.Release(ctx, &o, c); err != nil {
		t.Fatal(err)
	}
	o, c = claimAt(t, l, "o1", "198.51.100.2", 63*time.Minute)
	if c.Action != alert.Send || c.Folded != 1 || !c.FoldedSince.Equal(T0.Add(62*time.Minute)) {
		t.Fatalf("the opener's retry: %v carrying +%d since %v, want sent carrying +1 since 11:04", c.Action, c.Folded, c.FoldedSince)
	}
	if err := l.Commit(ctx, &o, c); err != nil {
		t.Fatal(err)
	}
	sentCarrying(t, l, "z", "198.51.100.9", 124*time.Minute, 0, "after the retry's window (nothing more)")
}

// foldThree folds three alerts from the /24 at T0+1, +2 and +3 minutes into l's flood (capped
// at 1, its window opened at T0).
func foldThree(t *testing.T, l alert.Ledger) {
	t.Helper()
	for i, ip := range []string{"198.51.100.2", "198.51.100.3", "198.51.100.4"} {
		claimIs(t, l, fmt.Sprintf("f%d", i), ip, time.Duration(i+1)*time.Minute, alert.Suppress, true, fmt.Sprintf("fold %d", i))
	}
}

// flushAt runs a flush of l at T0+at and fails the test unless it sends want digests; it
// returns what it sent.
func flushAt(t *testing.T, l alert.Ledger, at time.Duration, want int, what string) []alert.Alert {
	t.Helper()
	pub, clock := &Publisher{}, T0.Add(at)
	f, err := QuietSender(l, pub, &clock).FlushDigests(context.Background(), clock)
	if err != nil || f.Sent != want || len(pub.Sent) != want {
		t.Fatalf("%s (at +%s): %+v, %v, %d alerts; want %d digests", what, at, f, err, len(pub.Sent), want)
	}
	return pub.Sent
}

// unfinishedOpenerFlushed: with a flood capped at 1 that folded three alerts, the alert after
// the window opens the next one and takes the +3 digest, and its invocation dies there (no
// Commit, no Release, no redelivery), and the flood stops: no later alert comes to open a
// window and carry the digest. The flush does: nothing while the opener's window is open (the
// opener may be alive), then, once that window ended with the opener still there, exactly one
// +3 digest; a second flush sends nothing, and the opener's redelivery coming after that
// carries nothing (it was reported). Before, the flush dropped the due entry of the window the
// opener took over, and the +3 was never reported.
func unfinishedOpenerFlushed(t *testing.T, newLedger NewLedger) {
	perFault(t, newLedger, 1, func(t *testing.T, l alert.Ledger, fault Fault) {
		foldThree(t, l)
		o := AlertFor("o1")
		o.SourceIP = "198.51.100.9"
		if c := claimThrough(t, l, WriteOpen, fault, &o, T0.Add(61*time.Minute)); c.Action != alert.Send || c.Folded != 3 {
			t.Fatalf("the opener: %v carrying +%d, want sent carrying +3", c.Action, c.Folded)
		} // and its invocation dies here
		flushAt(t, l, 65*time.Minute, 0, "flush after the first window, the opener's still open")
		flushAt(t, l, 100*time.Minute, 0, "flush later in the opener's window")
		sent := flushAt(t, l, 125*time.Minute, 1, "flush after the opener's window")
		if d := sent[0]; d.Folded != 3 || d.FoldedFrom != "198.51.100.0/24" || !d.FoldedSince.Equal(T0.Add(time.Minute)) ||
			d.Kind != o.Kind || d.User != o.User {
			t.Errorf("digest %s of %s: +%d from %q since %v, want +3 from the /24 since 10:03", d.Kind, d.User, d.Folded, d.FoldedFrom, d.FoldedSince)
		}
		flushAt(t, l, 130*time.Minute, 0, "second flush")
		if f, ok := l.(folder); ok {
			if n := f.Folded(&o); n != 0 {
				t.Errorf("folded %d after the flush, want 0", n)
			}
		}
		sentCarrying(t, l, "o1", "198.51.100.9", 131*time.Minute, 0, "the opener redelivered after the flush")
		flushAt(t, l, 200*time.Minute, 0, "flush after the redelivered opener's window")
	})
}

// unfinishedOpenerCarriedByNextOpening: the alert that opened a window with a +3 digest never
// finishes (its invocation dies after the claim; no redelivery comes inside the window), and
// its window folds two more. The next window's opening carries the +3 with the window's own 2,
// since the first of them all: +5 since 10:03 (the opening never overwrites the stranded
// digest), and no flush reports any of them again.
func unfinishedOpenerCarriedByNextOpening(t *testing.T, newLedger NewLedger) {
	l := newDigestLedger(t, newLedger, floodOptions(1))
	sentCarrying(t, l, "e1", "198.51.100.1", 0, 0, "first alert")
	foldThree(t, l)
	if _, c := claimAt(t, l, "o1", "198.51.100.9", 61*time.Minute); c.Action != alert.Send || c.Folded != 3 {
		t.Fatalf("the opener: %v carrying +%d, want sent carrying +3", c.Action, c.Folded)
	} // and it dies here
	claimIs(t, l, "g1", "198.51.100.5", 62*time.Minute, alert.Suppress, true, "fold in the opener's window")
	claimIs(t, l, "g2", "198.51.100.6", 63*time.Minute, alert.Suppress, true, "second fold in the opener's window")
	a, c := claimAt(t, l, "z", "198.51.100.7", 125*time.Minute)
	if c.Action != alert.Send || c.Folded != 5 || !c.FoldedSince.Equal(T0.Add(time.Minute)) {
		t.Fatalf("after the second window: %v carrying +%d since %v, want sent carrying +5 since 10:03", c.Action, c.Folded, c.FoldedSince)
	}
	if err := l.Commit(context.Background(), &a, c); err != nil {
		t.Fatal(err)
	}
	flushAt(t, l, 130*time.Minute, 0, "flush after the carried digest")
	flushAt(t, l, 190*time.Minute, 0, "flush after the carrier's window")
	sentCarrying(t, l, "y", "198.51.100.8", 190*time.Minute, 0, "after the third window")
}

// liveOpenerNotFlushedAgain: the opener of the next window takes the +3 digest, a flush runs
// while it publishes (it holds the digest: the flush sends nothing), and it commits. No flush
// reports the +3 again, inside its window or after it; the one alert folded in its window is
// flushed alone (+1) after the window.
func liveOpenerNotFlushedAgain(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	l := newDigestLedger(t, newLedger, floodOptions(1))
	sentCarrying(t, l, "e1", "198.51.100.1", 0, 0, "first alert")
	foldThree(t, l)
	o, c := claimAt(t, l, "o1", "198.51.100.9", 61*time.Minute)
	if c.Action != alert.Send || c.Folded != 3 {
		t.Fatalf("the opener: %v carrying +%d, want sent carrying +3", c.Action, c.Folded)
	}
	flushAt(t, l, 61*time.Minute+10*time.Second, 0, "flush while the opener publishes")
	if err := l.Commit(ctx, &o, c); err != nil {
		t.Fatal(err)
	}
	flushAt(t, l, 65*time.Minute, 0, "flush after the opener's Commit")
	claimIs(t, l, "g1", "198.51.100.5", 70*time.Minute, alert.Suppress, true, "fold in the opener's window")
	sent := flushAt(t, l, 125*time.Minute, 1, "flush after the opener's window")
	if d := sent[0]; d.Folded != 1 || !d.FoldedSince.Equal(T0.Add(70*time.Minute)) {
		t.Errorf("digest +%d since %v, want +1 since 11:12 (the +3 was carried)", d.Folded, d.FoldedSince)
	}
	flushAt(t, l, 130*time.Minute, 0, "second flush")
}

// unfinishedOpenerOnceUnderRaces: in each of 8 floods capped at 1, three alerts are folded and
// the alert after the window opens the next one carrying +3, and dies there. After that
// window, two flushes and a late alert of each flood run at once: the flushes give the dead
// opener's digest back and the late alert's opening would carry it, and every flood's +3 is
// reported exactly once, by whichever got there first.
func unfinishedOpenerOnceUnderRaces(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	pub, clock := &Publisher{}, T0
	l := newDigestLedger(t, newLedger, floodOptions(1))
	s := QuietSender(l, pub, &clock)
	const floods = 8
	for p := range floods {
		publishFlood(t, s, &clock, p, 4)
		o := floodAlert(p, 50, fmt.Sprintf("p%d-opener", p))
		at := T0.Add(61 * time.Minute)
		if c, err := l.Claim(ctx, &o, at, at.Add(30*time.Second)); err != nil || c.Action != alert.Send || c.Folded != 3 {
			t.Fatalf("flood u%d's opener: %v carrying +%d, %v; want sent carrying +3", p, c.Action, c.Folded, err)
		} // and it dies here
	}
	late := T0.Add(125 * time.Minute)
	clock = late
	flushesRaceLateAlerts(t, s, pub, floods, late, 3)
	if f, err := s.FlushDigests(ctx, late.Add(65*time.Minute)); err != nil || f.Sent != 0 {
		t.Errorf("a flush after the late alerts' window: %+v, %v; want nothing", f, err)
	}
}

// floodAlert is alert i of flood p (its own principal and user) from its own address.
func floodAlert(p, i int, id string) alert.Alert {
	a := AlertFor(id)
	a.Principal, a.User = fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", p), fmt.Sprintf("u%d", p)
	a.SourceIP = fmt.Sprintf("203.0.113.%d", i)
	return a
}

// publishFlood publishes n alerts of flood p through s, one a minute from T0 (clock).
func publishFlood(t *testing.T, s *alert.Sender, clock *time.Time, p, n int) {
	t.Helper()
	for i := range n {
		*clock = T0.Add(time.Duration(i) * time.Minute)
		if err := s.Publish(context.Background(), []alert.Alert{floodAlert(p, i, fmt.Sprintf("p%d-e%d", p, i))}); err != nil {
			t.Fatal(err)
		}
	}
}

// flushesRaceLateAlerts runs two flushes at late and a late alert of each of the floods at
// once, then requires each flood's want folded alerts reported exactly once (a digest carried
// by the late alert, or sent by a flush), and a later flush to send nothing.
func flushesRaceLateAlerts(t *testing.T, s *alert.Sender, pub *Publisher, floods int, late time.Time, want int) {
	t.Helper()
	ctx := context.Background()
	before := len(pub.Sent)
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
			if err := s.Publish(ctx, []alert.Alert{floodAlert(p, 99, fmt.Sprintf("p%d-late", p))}); err != nil {
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
	for _, a := range pub.Sent[before:] {
		reported[a.User] += a.Folded
	}
	for p := range floods {
		if n := reported[fmt.Sprintf("u%d", p)]; n != want {
			t.Errorf("flood u%d: %d folded alerts reported, want %d exactly once", p, n, want)
		}
	}
	if f, err := s.FlushDigests(ctx, late.Add(5*time.Minute)); err != nil || f.Sent != 0 {
		t.Errorf("a later flush: %+v, %v; want nothing", f, err)
	}
}

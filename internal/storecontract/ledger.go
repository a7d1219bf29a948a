// Package storecontract holds the contract suites every store of a kind must pass, so the
// memory stores of tests, the DynamoDB stores of the deployed functions (against dynalite) and
// the SQLite stores of local runs with -state (shared/localstate) are held to the same
// exactly-once behaviour by the same tests: each store's package calls the suite with a
// constructor for its store.
package storecontract

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
)

// NewLedger makes an empty ledger under test with the given options (a fresh table, a fresh
// state directory), cleaned up with t.
type NewLedger func(t *testing.T, o alert.LedgerOptions) alert.Ledger

// Counts reads a fingerprint's (total, suppressed) counts back from the store l keeps them in.
type Counts func(t *testing.T, l alert.Ledger, a *alert.Alert) (total, suppressed int)

// T0 is the suites' clock start: 2026-11-21 10:02 UTC.
var T0 = time.Date(2026, 11, 21, 10, 2, 0, 0, time.UTC)

// Sample is the suites' alert: an untrusted sign-in of alice.
func Sample() alert.Alert {
	return alert.Alert{
		Kind: "untrusted-source-ip", Severity: alert.High, Title: "untrusted sign-in",
		Account: "111122223333", Region: "us-east-1",
		Principal: "arn:aws:iam::111122223333:user/alice", User: "alice",
		SourceIP: "203.0.113.9", EventID: "3b1f2c1e-0000-4000-8000-000000000001",
		EventName: "ConsoleLogin", EventTime: time.Date(2026, 11, 21, 10, 2, 3, 0, time.UTC),
		UserAgent: "Mozilla/5.0", Details: []alert.Detail{{Label: "MFA used", Value: "Yes"}},
	}
}

// AlertFor is Sample with the given event ID.
func AlertFor(eventID string) alert.Alert {
	a := Sample()
	a.EventID = eventID
	return a
}

// Publisher records what reaches it; while Fail is set every Publish fails (SNS throttling).
type Publisher struct {
	mu   sync.Mutex
	Sent []alert.Alert
	Fail bool
}

// Publish implements alert.Publisher.
func (p *Publisher) Publish(_ context.Context, alerts []alert.Alert) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Fail {
		return fmt.Errorf("sns: throttled")
	}
	p.Sent = append(p.Sent, alerts...)
	return nil
}

// QuietSender is a Sender over l publishing to p at *clock, logging nowhere.
func QuietSender(l alert.Ledger, p alert.Publisher, clock *time.Time) *alert.Sender {
	return &alert.Sender{Ledger: l, Publisher: p, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return *clock }}
}

var defaultOptions = alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}

// Ledger runs the alert.Ledger contract: one claim per event and finding, one send per
// fingerprint per window with the repeats counted, leases taken over, concurrent claims
// agreeing on one sender, and deliveries through a Sender sending each finding once.
func Ledger(t *testing.T, newLedger NewLedger, counts Counts) {
	t.Run("Contract", func(t *testing.T) { ledgerContract(t, newLedger, counts) })
	t.Run("Leases", func(t *testing.T) { ledgerLeases(t, newLedger, counts) })
	t.Run("ConcurrentSameFinding", func(t *testing.T) { ledgerConcurrent(t, newLedger) })
	t.Run("FindingsAreIdentifiedByWhatTheyAre", func(t *testing.T) { findingsIdentified(t, newLedger) })
	t.Run("RedeliverySendsOnce", func(t *testing.T) { redeliverySendsOnce(t, newLedger) })
	t.Run("ClaimRetriedAfterItLandedSendsOnce", func(t *testing.T) { claimRetriedSendsOnce(t, newLedger, counts) })
	t.Run("SuppressionRetriedAfterItLandedCountsOnce", func(t *testing.T) { suppressionRetriedCountsOnce(t, newLedger, counts) })
}

func ledgerContract(t *testing.T, newLedger NewLedger, counts Counts) {
	type step struct {
		event                string
		at                   time.Duration // after T0
		want                 alert.Action
		commit               bool // Commit a Send (else Release it)
		wantSuppressedReport int
	}
	tests := []struct {
		name                           string
		steps                          []step
		wantTotal, wantSuppressedAfter int
	}{
		{"first alert is sent", []step{{event: "e1", want: alert.Send, commit: true}}, 1, 0},
		{"redelivery sends nothing", []step{
			{event: "e1", want: alert.Send, commit: true},
			{event: "e1", at: time.Minute, want: alert.Duplicate},
		}, 1, 0},
		{"repeat in window is counted", []step{
			{event: "e1", want: alert.Send, commit: true},
			{event: "e2", at: time.Minute, want: alert.Suppress},
			{event: "e3", at: 2 * time.Minute, want: alert.Suppress},
			{event: "e3", at: 3 * time.Minute, want: alert.Duplicate},
		}, 3, 2},
		{"after the window the next alert reports the count", []step{
			{event: "e1", want: alert.Send, commit: true},
			{event: "e2", at: time.Minute, want: alert.Suppress},
			{event: "e3", at: 61 * time.Minute, want: alert.Send, commit: true, wantSuppressedReport: 1},
			{event: "e4", at: 62 * time.Minute, want: alert.Suppress},
		}, 4, 1},
		{"released claim is taken by the retry", []step{
			{event: "e1", want: alert.Send, commit: false},
			{event: "e1", at: time.Minute, want: alert.Send, commit: true},
			{event: "e1", at: 2 * time.Minute, want: alert.Duplicate},
		}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			l := newLedger(t, defaultOptions)
			var a alert.Alert
			for i, s := range tt.steps {
				a = AlertFor(s.event)
				now := T0.Add(s.at)
				c, err := l.Claim(ctx, &a, now, now.Add(30*time.Second))
				if err != nil {
					t.Fatalf("step %d: Claim: %v", i, err)
				}
				if c.Action != s.want {
					t.Fatalf("step %d (%s at +%s): %s, want %s", i, s.event, s.at, c.Action, s.want)
				}
				if c.Action != alert.Send {
					continue
				}
				if c.Suppressed != s.wantSuppressedReport {
					t.Errorf("step %d: reports %d suppressed, want %d", i, c.Suppressed, s.wantSuppressedReport)
				}
				if s.commit {
					err = l.Commit(ctx, &a, c)
				} else {
					err = l.Release(ctx, &a, c)
				}
				if err != nil {
					t.Fatalf("step %d: finish: %v", i, err)
				}
			}
			total, suppressed := counts(t, l, &a)
			if total != tt.wantTotal || suppressed != tt.wantSuppressedAfter {
				t.Errorf("fingerprint counts total=%d suppressed=%d, want %d and %d", total, suppressed, tt.wantTotal, tt.wantSuppressedAfter)
			}
		})
	}
}

func ledgerLeases(t *testing.T, newLedger NewLedger, counts Counts) {
	ctx := context.Background()
	l := newLedger(t, defaultOptions)
	a := AlertFor("e1")
	c1, err := l.Claim(ctx, &a, T0, T0.Add(30*time.Second))
	if err != nil || c1.Action != alert.Send {
		t.Fatalf("first claim: %v %v", c1.Action, err)
	}
	// The same event again while the first invocation's lease is live.
	c2, err := l.Claim(ctx, &a, T0.Add(10*time.Second), T0.Add(40*time.Second))
	if err != nil || c2.Action != alert.InFlight {
		t.Fatalf("claim under a live lease: %v %v, want in-flight", c2.Action, err)
	}
	// Another event of the same finding while the send is in flight: counted.
	b := AlertFor("e2")
	c3, err := l.Claim(ctx, &b, T0.Add(11*time.Second), T0.Add(41*time.Second))
	if err != nil || c3.Action != alert.Suppress {
		t.Fatalf("repeat during the send: %v %v, want suppress", c3.Action, err)
	}
	// The first invocation died without Commit; after its lease, the retry takes over and
	// reports the repeat it missed.
	c4, err := l.Claim(ctx, &a, T0.Add(90*time.Second), T0.Add(120*time.Second))
	if err != nil || c4.Action != alert.Send || c4.Suppressed != 1 {
		t.Fatalf("claim after the lease: %v (suppressed %d) %v, want send reporting 1", c4.Action, c4.Suppressed, err)
	}
	// The dead invocation's late Commit must not overwrite the new owner's state.
	if err := l.Commit(ctx, &a, c1); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, &a, c4); err != nil {
		t.Fatal(err)
	}
	if _, suppressed := counts(t, l, &a); suppressed != 0 {
		t.Errorf("suppressed = %d after the report, want 0", suppressed)
	}
}

// ledgerConcurrent: 20 invocations raise the same alert at once (20 events of one finding) and
// 20 invocations deliver one event at once: each time exactly one sends.
func ledgerConcurrent(t *testing.T, newLedger NewLedger) {
	for _, sameEvent := range []bool{false, true} {
		t.Run(fmt.Sprintf("same-event=%v", sameEvent), func(t *testing.T) {
			ctx := context.Background()
			l := newLedger(t, defaultOptions)
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				actions = map[alert.Action]int{}
			)
			for i := range 20 {
				wg.Go(func() {
					id := "e" + strconv.Itoa(i)
					if sameEvent {
						id = "e-same"
					}
					a := AlertFor(id)
					c, err := l.Claim(ctx, &a, T0, T0.Add(time.Minute))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					actions[c.Action]++
					mu.Unlock()
				})
			}
			wg.Wait()
			if actions[alert.Send] != 1 {
				t.Fatalf("decisions %v: want exactly one send", actions)
			}
			if !sameEvent && actions[alert.Suppress] != 19 {
				t.Errorf("decisions %v: want 19 suppressed", actions)
			}
			if sameEvent && actions[alert.InFlight] != 19 {
				t.Errorf("decisions %v: want 19 in flight", actions)
			}
		})
	}
}

// findingsIdentified runs deliveries through the Sender: two findings that share an event ID
// are both sent and a redelivery of them sends nothing; a successful sign-in after a failed one
// from the same address is sent, while a second failure inside the window is suppressed.
func findingsIdentified(t *testing.T, newLedger NewLedger) {
	alice, bob := Sample(), Sample()
	alice.EventID, bob.EventID = "shared-id", "shared-id"
	bob.Principal, bob.User = "arn:aws:iam::111122223333:user/bob", "bob"
	failure, success, failureAgain := Sample(), Sample(), Sample()
	failure.EventID, failure.Outcome = "e-fail", "Failure"
	success.EventID, success.Outcome = "e-success", "Success"
	failureAgain.EventID, failureAgain.Outcome = "e-fail-2", "Failure"
	tests := []struct {
		name       string
		deliveries [][]alert.Alert
		wantSent   []string // event ID/principal of each alert published, in order
	}{
		{"two findings, one event ID, then the redelivery", [][]alert.Alert{{alice, bob}, {alice, bob}},
			[]string{"shared-id/alice", "shared-id/bob"}},
		{"failure then success from one address", [][]alert.Alert{{failure}, {success}, {failureAgain}},
			[]string{"e-fail/alice", "e-success/alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &Publisher{}
			clock := T0
			s := QuietSender(newLedger(t, defaultOptions), pub, &clock)
			for i, d := range tt.deliveries {
				clock = T0.Add(time.Duration(i) * 20 * time.Minute)
				if err := s.Publish(context.Background(), d); err != nil {
					t.Fatalf("delivery %d: %v", i+1, err)
				}
			}
			var got []string
			for _, a := range pub.Sent {
				got = append(got, a.EventID+"/"+a.User)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantSent) {
				t.Errorf("sent %v, want %v", got, tt.wantSent)
			}
		})
	}
}

// redeliverySendsOnce: a batch delivered, then delivered again after the send (Lambda's
// at-least-once redelivery, or a replay run twice), and once more after a failed publish of
// another event: each finding is published once, the failed one on its retry.
func redeliverySendsOnce(t *testing.T, newLedger NewLedger) {
	ctx := context.Background()
	pub, clock := &Publisher{}, T0
	s := QuietSender(newLedger(t, defaultOptions), pub, &clock)
	a := AlertFor("ev-1")
	for i := range 3 {
		clock = T0.Add(time.Duration(i) * time.Minute)
		if err := s.Publish(ctx, []alert.Alert{a}); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	b := AlertFor("ev-2")
	b.Principal, b.User = "arn:aws:iam::111122223333:user/bob", "bob"
	pub.Fail = true
	if err := s.Publish(ctx, []alert.Alert{b}); err == nil {
		t.Fatal("a failed publish returned nil: the event would not be retried")
	}
	pub.Fail = false
	for i := range 2 {
		clock = T0.Add(time.Duration(5+i) * time.Minute)
		if err := s.Publish(ctx, []alert.Alert{b}); err != nil {
			t.Fatalf("retry %d: %v", i+1, err)
		}
	}
	var got []string
	for _, x := range pub.Sent {
		got = append(got, x.EventID)
	}
	if fmt.Sprint(got) != "[ev-1 ev-2]" {
		t.Errorf("published %v, want [ev-1 ev-2]: each finding once", got)
	}
}

// claimRetriedSendsOnce: the claim of a new finding lands and is retried (by the SDK, or by a
// redelivery after the claim failed): the alert is sent (not suppressed behind its own claim,
// which would lose it) and counted once; its redelivery after the Commit is a duplicate, and
// the next alert of the finding a repeat.
func claimRetriedSendsOnce(t *testing.T, newLedger NewLedger, counts Counts) {
	for _, fault := range faultsOf(t, newLedger) {
		t.Run(fault.String(), func(t *testing.T) {
			ctx := context.Background()
			l := newLedger(t, defaultOptions)
			a := AlertFor("e1")
			c := claimThrough(t, l, WriteClaim, fault, &a, T0)
			if c.Action != alert.Send || c.Suppressed != 0 {
				t.Fatalf("the alert whose claim was retried: %v reporting %d, want sent", c.Action, c.Suppressed)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
			for _, s := range []struct {
				event string
				at    time.Duration
				want  alert.Action
			}{{"e1", 5 * time.Minute, alert.Duplicate}, {"e2", 6 * time.Minute, alert.Suppress}} {
				b := AlertFor(s.event)
				c, err := l.Claim(ctx, &b, T0.Add(s.at), T0.Add(s.at+30*time.Second))
				if err != nil || c.Action != s.want {
					t.Fatalf("%s at +%s: %v %v, want %v", s.event, s.at, c.Action, err, s.want)
				}
			}
			if total, suppressed := counts(t, l, &a); total != 2 || suppressed != 1 {
				t.Errorf("fingerprint counts total=%d suppressed=%d, want 2 and 1", total, suppressed)
			}
		})
	}
}

// suppressionRetriedCountsOnce: a repeat's suppression lands and is retried (by the SDK, or by
// a redelivery after marking its event done failed): the repeat is counted once, so the alert
// after the window reports 1 repeat, not 2.
func suppressionRetriedCountsOnce(t *testing.T, newLedger NewLedger, counts Counts) {
	for _, fault := range faultsOf(t, newLedger) {
		t.Run(fault.String(), func(t *testing.T) {
			ctx := context.Background()
			l := newLedger(t, defaultOptions)
			claim := func(id string, at time.Duration) (alert.Alert, alert.Claim) {
				a := AlertFor(id)
				c, err := l.Claim(ctx, &a, T0.Add(at), T0.Add(at+30*time.Second))
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				return a, c
			}
			a, c := claim("e1", 0)
			if err := l.Commit(ctx, &a, c); err != nil || c.Action != alert.Send {
				t.Fatalf("first alert: %v %v", c.Action, err)
			}
			b := AlertFor("e2")
			if c := claimThrough(t, l, WriteSuppress, fault, &b, T0.Add(time.Minute)); c.Action != alert.Suppress {
				t.Fatalf("the repeat: %v, want suppress", c.Action)
			}
			if _, c := claim("e2", 3*time.Minute); c.Action != alert.Duplicate {
				t.Fatalf("the repeat redelivered: %v, want duplicate", c.Action)
			}
			if total, suppressed := counts(t, l, &a); total != 2 || suppressed != 1 {
				t.Errorf("fingerprint counts total=%d suppressed=%d, want 2 and 1", total, suppressed)
			}
			a, c = claim("e3", 61*time.Minute)
			if c.Action != alert.Send || c.Suppressed != 1 {
				t.Fatalf("after the window: %v reporting %d repeats, want sent reporting 1", c.Action, c.Suppressed)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

package localstate

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/alert"
)

// openState opens a fresh state directory for one test.
func openState(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newLedger(t *testing.T, o alert.LedgerOptions) alert.Ledger {
	l, err := openState(t).Ledger(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func ledgerCounts(t *testing.T, l alert.Ledger, a *alert.Alert) (int, int) {
	total, suppressed, err := l.(*Ledger).Counts(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return total, suppressed
}

// TestLedgerContract: the SQLite ledger passes the same contract as the memory and DynamoDB
// ledgers (internal/storecontract).
func TestLedgerContract(t *testing.T) { storecontract.Ledger(t, newLedger, ledgerCounts) }

// TestDigestLedgerContract: flood control and flood digests, as the other ledgers.
func TestDigestLedgerContract(t *testing.T) { storecontract.DigestLedger(t, newLedger) }

func TestLedgerRejectsInvalidOptions(t *testing.T) {
	if _, err := openState(t).Ledger(alert.LedgerOptions{Window: -time.Second}); err == nil {
		t.Fatal("a negative window was accepted")
	}
}

// TestRedeliveryAcrossRunsSendsOnce: a local run delivers an event and exits; a second run on
// the same state directory (the replay run again) delivers it again and sends nothing, through
// a real Sender.
func TestRedeliveryAcrossRunsSendsOnce(t *testing.T) {
	dir := t.TempDir()
	opts := alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}
	pub := &storecontract.Publisher{}
	a := storecontract.AlertFor("ev-1")
	for run := range 2 {
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		l, err := db.Ledger(opts)
		if err != nil {
			t.Fatal(err)
		}
		clock := storecontract.T0.Add(time.Duration(run) * 2 * time.Hour) // past the window: only the event claim stops it
		if err := storecontract.QuietSender(l, pub, &clock).Publish(context.Background(), []alert.Alert{a}); err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(pub.Sent) != 1 {
		t.Fatalf("sent %d alerts over two runs of one event, want 1", len(pub.Sent))
	}
}

// TestTwoProcessesClaimOnce: two local processes (two DBs on one state directory) deliver the
// same event at once, many times over: exactly one Send per event, the other claims in flight
// or duplicates; and distinct events of one finding: one Send, the rest suppressed.
func TestTwoProcessesClaimOnce(t *testing.T) {
	dir := t.TempDir()
	opts := alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}
	var ledgers [2]*Ledger
	for i := range ledgers {
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if ledgers[i], err = db.Ledger(opts); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, sameEvent := range []bool{true, false} {
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			actions = map[alert.Action]int{}
		)
		for i := range 16 {
			wg.Go(func() {
				a := storecontract.AlertFor("e-same")
				a.Principal = "arn:aws:iam::111122223333:user/carol" // apart from the other round
				if !sameEvent {
					a = storecontract.AlertFor("e-" + string(rune('a'+i)))
				}
				l := ledgers[i%2]
				c, err := l.Claim(ctx, &a, storecontract.T0, storecontract.T0.Add(time.Minute))
				if err != nil {
					t.Error(err)
					return
				}
				if c.Action == alert.Send {
					if err := l.Commit(ctx, &a, c); err != nil {
						t.Error(err)
					}
				}
				mu.Lock()
				actions[c.Action]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if actions[alert.Send] != 1 {
			t.Errorf("same event=%v: decisions %v, want exactly one send", sameEvent, actions)
		}
		if !sameEvent && actions[alert.Suppress] != 15 {
			t.Errorf("distinct events: decisions %v, want 15 suppressed", actions)
		}
		if sameEvent && actions[alert.InFlight]+actions[alert.Duplicate] != 15 {
			t.Errorf("same event: decisions %v, want 15 in flight or duplicate", actions)
		}
	}
}

// TestLedgerRemembersEventsForDedupeFor: an event's claim stops its redelivery for DedupeFor
// (then it is forgotten, as DynamoDB's TTL deletes it); DedupeFor 0 remembers it for good.
func TestLedgerRemembersEventsForDedupeFor(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		dedupeFor time.Duration
		later     alert.Action // the redelivery 3 hours on
	}{
		{"one hour", time.Hour, alert.Send},
		{"for good", 0, alert.Duplicate},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger(t, alert.LedgerOptions{DedupeFor: tt.dedupeFor}) // no window: only the event claim stops a resend
			a := storecontract.AlertFor("e1")
			for i, step := range []struct {
				at   time.Duration
				want alert.Action
			}{{0, alert.Send}, {30 * time.Minute, alert.Duplicate}, {3 * time.Hour, tt.later}} {
				now := storecontract.T0.Add(step.at)
				c, err := l.Claim(ctx, &a, now, now.Add(time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				if c.Action != step.want {
					t.Fatalf("delivery %d at +%s: %s, want %s", i+1, step.at, c.Action, step.want)
				}
				if c.Action == alert.Send {
					if err := l.Commit(ctx, &a, c); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// TestLedgerForgetsDueBucketsPastTheHorizon: a due row no flush reads any more (older than
// alert.DigestHorizon) goes when a later flood is filed, as DynamoDB's due items expire.
func TestLedgerForgetsDueBucketsPastTheHorizon(t *testing.T) {
	ctx := context.Background()
	db := openState(t)
	l, err := db.Ledger(alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 1})
	if err != nil {
		t.Fatal(err)
	}
	fold := func(start time.Time) {
		for i := range 2 { // the first is sent, the second folded and filed as due
			a := storecontract.AlertFor(fmt.Sprintf("e-%d-%d", start.Unix(), i))
			a.SourceIP = fmt.Sprintf("198.51.100.%d", i+1)
			now := start.Add(time.Duration(i) * time.Minute)
			c, err := l.Claim(ctx, &a, now, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if c.Action == alert.Send {
				if err := l.Commit(ctx, &a, c); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	dueRows := func() (n int) {
		if err := db.SQL.QueryRow(`SELECT count(*) FROM alert_due`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	fold(storecontract.T0)
	if n := dueRows(); n != 1 {
		t.Fatalf("%d due rows after a fold, want 1", n)
	}
	fold(storecontract.T0.Add(3 * 24 * time.Hour))
	if n := dueRows(); n != 1 {
		t.Errorf("%d due rows three days on, want only the new flood's", n)
	}
}

package alert

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/shared/testenv"
)

// ledgerCase builds one ledger under test with the given options; counts reads a
// fingerprint's (total, suppressed) back from its store.
type ledgerCase struct {
	name   string
	new    func(t *testing.T, o LedgerOptions) Ledger
	counts func(t *testing.T, l Ledger, a *Alert) (total, suppressed int)
}

// ledgers are the two implementations; every contract test runs on both, the DynamoDB one
// through the real SDK client against dynalite with the table defined in template.yaml.
func ledgers() []ledgerCase {
	return []ledgerCase{
		{
			name: "memory",
			new:  func(_ *testing.T, o LedgerOptions) Ledger { return &MemoryLedger{Options: o} },
			counts: func(_ *testing.T, l Ledger, a *Alert) (int, int) {
				return l.(*MemoryLedger).Counts(a)
			},
		},
		{
			name: "dynamodb",
			new: func(t *testing.T, o LedgerOptions) Ledger {
				client := testenv.DynamoDB(t)
				return &DynamoDBLedger{Client: client, Table: testenv.CreateTable(t, client, "AlertStateTable"), Options: o}
			},
			counts: func(t *testing.T, l Ledger, a *Alert) (int, int) {
				dl := l.(*DynamoDBLedger)
				out, err := dl.Client.(*dynamodb.Client).GetItem(context.Background(), &dynamodb.GetItemInput{
					TableName: aws.String(dl.Table), Key: map[string]types.AttributeValue{"pk": str(fingerprintKey(a))}, ConsistentRead: aws.Bool(true),
				})
				if err != nil {
					t.Fatal(err)
				}
				return intAttr(out.Item, "total"), intAttr(out.Item, "suppressed")
			},
		},
	}
}

var t0 = time.Date(2026, 11, 21, 10, 2, 0, 0, time.UTC)

func alertFor(eventID string) Alert {
	a := sample()
	a.EventID = eventID
	return a
}

func TestLedgerContract(t *testing.T) {
	opts := LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}
	type step struct {
		event                string
		at                   time.Duration // after t0
		want                 Action
		commit               bool // Commit a Send (else Release it)
		wantSuppressedReport int
	}
	tests := []struct {
		name                           string
		steps                          []step
		wantTotal, wantSuppressedAfter int
	}{
		{"first alert is sent", []step{{event: "e1", want: Send, commit: true}}, 1, 0},
		{"redelivery sends nothing", []step{
			{event: "e1", want: Send, commit: true},
			{event: "e1", at: time.Minute, want: Duplicate},
		}, 1, 0},
		{"repeat in window is counted", []step{
			{event: "e1", want: Send, commit: true},
			{event: "e2", at: time.Minute, want: Suppress},
			{event: "e3", at: 2 * time.Minute, want: Suppress},
			{event: "e3", at: 3 * time.Minute, want: Duplicate},
		}, 3, 2},
		{"after the window the next alert reports the count", []step{
			{event: "e1", want: Send, commit: true},
			{event: "e2", at: time.Minute, want: Suppress},
			{event: "e3", at: 61 * time.Minute, want: Send, commit: true, wantSuppressedReport: 1},
			{event: "e4", at: 62 * time.Minute, want: Suppress},
		}, 4, 1},
		{"released claim is taken by the retry", []step{
			{event: "e1", want: Send, commit: false},
			{event: "e1", at: time.Minute, want: Send, commit: true},
			{event: "e1", at: 2 * time.Minute, want: Duplicate},
		}, 1, 0},
	}
	for _, lc := range ledgers() {
		for _, tt := range tests {
			t.Run(lc.name+"/"+tt.name, func(t *testing.T) {
				ctx := context.Background()
				l := lc.new(t, opts)
				var a Alert
				for i, s := range tt.steps {
					a = alertFor(s.event)
					now := t0.Add(s.at)
					c, err := l.Claim(ctx, &a, now, now.Add(30*time.Second))
					if err != nil {
						t.Fatalf("step %d: Claim: %v", i, err)
					}
					if c.Action != s.want {
						t.Fatalf("step %d (%s at +%s): %s, want %s", i, s.event, s.at, c.Action, s.want)
					}
					if c.Action != Send {
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
				total, suppressed := lc.counts(t, l, &a)
				if total != tt.wantTotal || suppressed != tt.wantSuppressedAfter {
					t.Errorf("fingerprint counts total=%d suppressed=%d, want %d and %d", total, suppressed, tt.wantTotal, tt.wantSuppressedAfter)
				}
			})
		}
	}
}

func TestLedgerLeases(t *testing.T) {
	opts := LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}
	for _, lc := range ledgers() {
		t.Run(lc.name, func(t *testing.T) {
			ctx := context.Background()
			l := lc.new(t, opts)
			a := alertFor("e1")
			c1, err := l.Claim(ctx, &a, t0, t0.Add(30*time.Second))
			if err != nil || c1.Action != Send {
				t.Fatalf("first claim: %v %v", c1.Action, err)
			}
			// The same event again while the first invocation's lease is live.
			c2, err := l.Claim(ctx, &a, t0.Add(10*time.Second), t0.Add(40*time.Second))
			if err != nil || c2.Action != InFlight {
				t.Fatalf("claim under a live lease: %v %v, want in-flight", c2.Action, err)
			}
			// Another event of the same finding while the send is in flight: counted.
			b := alertFor("e2")
			c3, err := l.Claim(ctx, &b, t0.Add(11*time.Second), t0.Add(41*time.Second))
			if err != nil || c3.Action != Suppress {
				t.Fatalf("repeat during the send: %v %v, want suppress", c3.Action, err)
			}
			// The first invocation died without Commit; after its lease, the retry takes over
			// and reports the repeat it missed.
			c4, err := l.Claim(ctx, &a, t0.Add(90*time.Second), t0.Add(120*time.Second))
			if err != nil || c4.Action != Send || c4.Suppressed != 1 {
				t.Fatalf("claim after the lease: %v (suppressed %d) %v, want send reporting 1", c4.Action, c4.Suppressed, err)
			}
			// The dead invocation's late Commit must not overwrite the new owner's state.
			if err := l.Commit(ctx, &a, c1); err != nil {
				t.Fatal(err)
			}
			if err := l.Commit(ctx, &a, c4); err != nil {
				t.Fatal(err)
			}
			if _, suppressed := lc.counts(t, l, &a); suppressed != 0 {
				t.Errorf("suppressed = %d after the report, want 0", suppressed)
			}
		})
	}
}

// TestLedgerConcurrentSameFinding: 20 invocations raise the same alert at once (20 events of
// one finding) and 20 invocations deliver one event at once: each time exactly one sends.
func TestLedgerConcurrentSameFinding(t *testing.T) {
	opts := LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}
	for _, lc := range ledgers() {
		for _, sameEvent := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/same-event=%v", lc.name, sameEvent), func(t *testing.T) {
				ctx := context.Background()
				l := lc.new(t, opts)
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					actions = map[Action]int{}
				)
				for i := range 20 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						id := "e" + strconv.Itoa(i)
						if sameEvent {
							id = "e-same"
						}
						a := alertFor(id)
						c, err := l.Claim(ctx, &a, t0, t0.Add(time.Minute))
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						actions[c.Action]++
						mu.Unlock()
					}()
				}
				wg.Wait()
				if actions[Send] != 1 {
					t.Fatalf("decisions %v: want exactly one send", actions)
				}
				if !sameEvent && actions[Suppress] != 19 {
					t.Errorf("decisions %v: want 19 suppressed", actions)
				}
				if sameEvent && actions[InFlight] != 19 {
					t.Errorf("decisions %v: want 19 in flight", actions)
				}
			})
		}
	}
}

package main

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/shared/localstate"
	"github.com/trailguard/trailguard/shared/testenv"
)

// stateImpls are the State implementations under the same contract: in memory, SQLite in a
// -state directory (shared/localstate), and DynamoDB on the table template.yaml declares
// (dynalite; skipped without it, failed under CI).
func stateImpls(t *testing.T) map[string]func(t *testing.T, now func() time.Time) State {
	return map[string]func(t *testing.T, now func() time.Time) State{
		"memory": func(*testing.T, func() time.Time) State { return &MemoryState{} },
		"sqlite": func(t *testing.T, now func() time.Time) State {
			db, err := localstate.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			s, err := localstate.NewCloudState(t.Context(), db, now)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"dynamodb": func(t *testing.T, now func() time.Time) State {
			client := testenv.DynamoDB(t)
			return &DynamoState{Client: client, Table: testenv.CreateTable(t, client, "CloudPollTable"), Now: now}
		},
	}
}

func TestStateCursor(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 12, 29, 30, 123e6, time.UTC)
	for name, newState := range stateImpls(t) {
		t.Run(name, func(t *testing.T) {
			s := newState(t, time.Now)
			ctx := t.Context()
			if c, err := s.Cursor(ctx, "hw-central"); err != nil || !c.IsZero() {
				t.Fatalf("new source: cursor %s, %v; want zero", c, err)
			}
			steps := []struct {
				set, want time.Time
			}{
				{t0, t0},
				{t0.Add(time.Minute), t0.Add(time.Minute)},
			}
			for _, st := range steps {
				if err := s.SetCursor(ctx, "hw-central", st.set); err != nil {
					t.Fatal(err)
				}
				if c, err := s.Cursor(ctx, "hw-central"); err != nil || !c.Equal(st.want) {
					t.Errorf("after SetCursor(%s): %s, %v; want %s", st.set, c, err, st.want)
				}
			}
			if c, _ := s.Cursor(ctx, "ali-main"); !c.IsZero() {
				t.Errorf("another source's cursor %s, want zero", c)
			}
		})
	}
}

// TestCursorOnlyMovesForward: a poll that finishes after a later one (impossible with
// reserved concurrency 1, but a redeploy can overlap) does not move the cursor back.
func TestCursorOnlyMovesForward(t *testing.T) {
	for name, newState := range stateImpls(t) {
		t.Run(name, func(t *testing.T) {
			s := newState(t, time.Now)
			t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			ctx := t.Context()
			for _, at := range []time.Time{t0.Add(time.Minute), t0, t0.Add(time.Minute)} {
				if err := s.SetCursor(ctx, "tc-main", at); err != nil {
					t.Fatalf("SetCursor(%s): %v", at, err)
				}
			}
			if c, err := s.Cursor(ctx, "tc-main"); err != nil || !c.Equal(t0.Add(time.Minute)) {
				t.Errorf("cursor %s, %v; want %s", c, err, t0.Add(time.Minute))
			}
		})
	}
}

func TestStateSeen(t *testing.T) {
	for name, newState := range stateImpls(t) {
		t.Run(name, func(t *testing.T) {
			s := newState(t, time.Now)
			ctx := t.Context()
			keys := []string{"huawei#3c2b1a09-4c1f-11f1-9d2a-286ed488ce70", "alibaba#A1B2-C3D4", "tencent#" + strings.Repeat("x", 3000)}
			expires := time.Now().Add(48 * time.Hour)
			for _, key := range keys {
				if seen, err := s.Seen(ctx, key); err != nil || seen {
					t.Errorf("%.40s: seen %v, %v before the mark", key, seen, err)
				}
				if first, err := s.MarkSeen(ctx, key, expires); err != nil || !first {
					t.Errorf("%.40s: first mark %v, %v; want true", key, first, err)
				}
				if seen, err := s.Seen(ctx, key); err != nil || !seen {
					t.Errorf("%.40s: seen %v, %v after the mark", key, seen, err)
				}
				if first, err := s.MarkSeen(ctx, key, expires); err != nil || first {
					t.Errorf("%.40s: second mark %v, %v; want false", key, first, err)
				}
			}
		})
	}
}

// TestSeenConcurrently: of many pollers marking the same events at once, exactly one wins
// each event.
func TestSeenConcurrently(t *testing.T) {
	for name, newState := range stateImpls(t) {
		t.Run(name, func(t *testing.T) {
			s := newState(t, time.Now)
			const pollers, events = 8, 20
			var wins [events]atomic.Int32
			var wg sync.WaitGroup
			for range pollers {
				wg.Go(func() {
					for e := range events {
						first, err := s.MarkSeen(context.Background(), "tencent#ev-"+string(rune('a'+e)), time.Now().Add(time.Hour))
						if err != nil {
							t.Error(err)
							return
						}
						if first {
							wins[e].Add(1)
						}
					}
				})
			}
			wg.Wait()
			for e := range events {
				if n := wins[e].Load(); n != 1 {
					t.Errorf("event %d marked first by %d pollers, want 1", e, n)
				}
			}
		})
	}
}

// TestSeenExpired: DynamoDB deletes expired items only eventually (dynalite never), so a mark
// past its expiry is absent: Seen says no and MarkSeen takes it again. SQLite keeps the same
// rule.
func TestSeenExpired(t *testing.T) {
	for _, name := range []string{"sqlite", "dynamodb"} {
		t.Run(name, func(t *testing.T) {
			var clock atomic.Int64
			start := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			clock.Store(start.Unix())
			now := func() time.Time { return time.Unix(clock.Load(), 0) }
			s := stateImpls(t)[name](t, now)
			ctx := t.Context()
			const key = "alibaba#expiring"
			if first, err := s.MarkSeen(ctx, key, start.Add(48*time.Hour)); err != nil || !first {
				t.Fatalf("mark: %v, %v", first, err)
			}
			clock.Store(start.Add(48*time.Hour + time.Second).Unix())
			if seen, err := s.Seen(ctx, key); err != nil || seen {
				t.Errorf("expired mark: seen %v, %v; want false", seen, err)
			}
			if first, err := s.MarkSeen(ctx, key, now().Add(48*time.Hour)); err != nil || !first {
				t.Errorf("re-mark of an expired item: %v, %v; want true", first, err)
			}
			if seen, _ := s.Seen(ctx, key); !seen {
				t.Error("re-marked item not seen")
			}
		})
	}
}

// TestDynamoStateItems: the items are what template.yaml's TTL and the docs say.
func TestDynamoStateItems(t *testing.T) {
	client := testenv.DynamoDB(t)
	table := testenv.CreateTable(t, client, "CloudPollTable")
	s := &DynamoState{Client: client, Table: table}
	ctx := t.Context()
	end := time.Date(2026, 11, 20, 12, 29, 30, 0, time.UTC)
	exp := time.Date(2026, 11, 22, 12, 29, 30, 0, time.UTC)
	if err := s.SetCursor(ctx, "hw-central", end); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSeen(ctx, "huawei#t1", exp); err != nil {
		t.Fatal(err)
	}
	get := func(key string) map[string]types.AttributeValue {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: pk(key)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	cur := get("cursor#hw-central")
	if n, _ := cur["end_ms"].(*types.AttributeValueMemberN); n == nil || n.Value != "1795177770000" {
		t.Errorf("cursor item %v", cur)
	}
	if s, _ := cur["end"].(*types.AttributeValueMemberS); s == nil || s.Value != "2026-11-20T12:29:30Z" {
		t.Errorf("cursor item %v", cur)
	}
	if _, ok := cur["expires"]; ok {
		t.Errorf("cursor item %v expires", cur)
	}
	seen := get("seen#huawei#t1")
	if n, _ := seen["expires"].(*types.AttributeValueMemberN); n == nil || n.Value != "1795350570" {
		t.Errorf("seen item %v, want expires %d", seen, exp.Unix())
	}
}

// TestOverlappingPollsOnDynamoDB: the deployed state (cursor and seen items on dynalite) under
// two overlapping polls of every cloud: each event counted and alerted once, the cursor at the
// second poll's end.
func TestOverlappingPollsOnDynamoDB(t *testing.T) {
	f := startFakes(t)
	r := newRig(t, f.sources, allSecrets, nil)
	client := testenv.DynamoDB(t)
	r.h.State = &DynamoState{Client: client, Table: testenv.CreateTable(t, client, "CloudPollTable"), Now: r.h.Now}
	for _, at := range []time.Time{firstPoll, secondPoll} {
		if err := r.pollAt(t, at); err != nil {
			t.Fatalf("poll at %s: %v", at, err)
		}
	}
	for cloud, n := range f.events {
		if got := int(r.metrics.Get("Events." + cloud)); got != n {
			t.Errorf("%s: %d events counted, want %d", cloud, got, n)
		}
	}
	if r.metrics.Get("EventsRepeated") == 0 {
		t.Error("the windows did not overlap")
	}
	seen := map[string]bool{}
	for _, a := range r.alerts.Alerts() {
		k := a.Kind + "#" + a.EventID
		if seen[k] {
			t.Errorf("%s alerted twice", k)
		}
		seen[k] = true
	}
	for _, src := range f.sources {
		if c, err := r.h.State.Cursor(t.Context(), src.Name); err != nil || !c.Equal(secondPoll) {
			t.Errorf("%s: cursor %s, %v; want %s", src.Name, c, err, secondPoll)
		}
	}
}

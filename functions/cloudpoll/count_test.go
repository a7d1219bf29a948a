package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/localstate"
	"github.com/trailguard/trailguard/shared/testenv"
	"github.com/trailguard/trailguard/shared/trail"
)

// sqliteCounters is the -state counters store in a temporary directory.
func sqliteCounters(t *testing.T) *localstate.Counters {
	t.Helper()
	db, err := localstate.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := localstate.NewCounters(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// countsByCloud sums the activity counters of 2026-11-20 per cloud.
func countsByCloud(t *testing.T, c *localstate.Counters) map[string]int64 {
	t.Helper()
	rows, err := c.Rows(t.Context(), time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Cloud] += r.Count
	}
	return out
}

// flakyState fails MarkSeen while fail > 0: an event counted whose mark did not stick.
type flakyState struct {
	State
	fail atomic.Int32
}

func (f *flakyState) MarkSeen(ctx context.Context, key string, expires time.Time) (bool, error) {
	if f.fail.Add(-1) >= 0 {
		return false, errors.New("conditional write timed out")
	}
	return f.State.MarkSeen(ctx, key, expires)
}

// flakyCounts fails Apply while fail > 0.
type flakyCounts struct {
	countStore
	fail atomic.Int32
}

func (f *flakyCounts) Apply(ctx context.Context, file counters.FileID, t *counters.Tally) (counters.Applied, error) {
	if f.fail.Add(-1) >= 0 {
		return counters.Applied{}, errors.New("counters table throttled")
	}
	return f.countStore.Apply(ctx, file, t)
}

// TestEveryEventCountedOncePerCloud: two overlapping polls of the three clouds, with a mark
// that fails after its event was counted and a count that fails once: every event is in the
// god view's counters once, under its cloud.
func TestEveryEventCountedOncePerCloud(t *testing.T) {
	tests := []struct {
		name                 string
		failMarks, failCount int32
	}{
		{"clean", 0, 0},
		{"a mark fails after the count", 2, 0},
		{"a count fails", 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakes(t)
			r := newRig(t, f.sources, allSecrets, nil)
			store := sqliteCounters(t)
			counts := &flakyCounts{countStore: store}
			counts.fail.Store(tt.failCount)
			state := &flakyState{State: &MemoryState{}}
			state.fail.Store(tt.failMarks)
			r.h.Counts, r.h.State = counts, state
			polls := []time.Time{firstPoll, secondPoll, secondPoll.Add(time.Minute)}
			for i, at := range polls {
				err := r.pollAt(t, at)
				if err != nil && tt.failMarks+tt.failCount == 0 {
					t.Fatalf("poll %d: %v", i, err)
				}
			}
			got := countsByCloud(t, store)
			for cloud, n := range f.events {
				if got[cloud] != int64(n) {
					t.Errorf("%s: %d counted, want %d", cloud, got[cloud], n)
				}
			}
			if got[""] != 0 {
				t.Errorf("%d counted without a cloud", got[""])
			}
		})
	}
}

func TestCounterKey(t *testing.T) {
	rec := &trail.Record{
		EventTime: "2026-11-20T12:31:01Z", EventName: "DeleteInstance", EventSource: "ecs-cn-hangzhou.aliyuncs.com", EventType: "ApiCall",
		AWSRegion: "cn-hangzhou", SourceIPAddress: "203.0.113.66", Cloud: "alibaba", RecipientAccountID: "1234567890123456",
		UserIdentity: trail.UserIdentity{Type: "IAMUser", PrincipalID: "203456789012345678", AccountID: "1234567890123456", UserName: "alice"},
		Resources:    []trail.Resource{{ARN: "i-bp1"}, {ARN: "i-bp2", Type: "ACS::ECS::Instance"}},
	}
	k, err := counterKey(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := counters.Key{Hour: "2026-11-20T12", Account: "1234567890123456", Principal: rec.UserIdentity.Principal(), SourceIP: "203.0.113.66",
		EventName: "DeleteInstance", ResourceType: "ACS::ECS::Instance", EventType: "ApiCall", Region: "cn-hangzhou",
		EventSource: "ecs-cn-hangzhou.aliyuncs.com", Cloud: "alibaba"}
	if k != want {
		t.Errorf("key %+v\nwant %+v", k, want)
	}
	for name, bad := range map[string]*trail.Record{
		"no time":    {EventName: "X", RecipientAccountID: "1"},
		"no account": {EventTime: "2026-11-20T12:31:01Z", EventName: "X"},
		"no name":    {EventTime: "2026-11-20T12:31:01Z", RecipientAccountID: "1"},
	} {
		if _, err := counterKey(bad); !errors.Is(err, trail.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestCountedOnceOnDynamoDB: the deployed stores on dynalite (the poll table, the counters
// table of template.yaml): two overlapping polls of the three clouds, merged by the counters'
// Flush, give each cloud's events once, in the accounts' hours.
func TestCountedOnceOnDynamoDB(t *testing.T) {
	client := testenv.DynamoDB(t)
	f := startFakes(t)
	r := newRig(t, f.sources, allSecrets, nil)
	merged := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC) // 12:00's hour has settled
	table := &counters.Table{Client: client, Name: testenv.CreateTable(t, client, "CountersTable"), Retention: 90 * 24 * time.Hour,
		Now: func() time.Time { return merged }}
	r.h.Counts = table
	r.h.State = &DynamoState{Client: client, Table: testenv.CreateTable(t, client, "CloudPollTable"), Now: time.Now}
	for _, at := range []time.Time{firstPoll, secondPoll} {
		if err := r.pollAt(t, at); err != nil {
			t.Fatalf("poll at %s: %v", at, err)
		}
	}
	if _, err := table.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, account := range []string{"0a1b2c3d4e5f60718293a4b5c6d7e8f9", aliHome, "100012345678"} {
		rows, err := table.AccountHour(t.Context(), account, "2026-11-20T12")
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			got[row.Cloud] += row.Count
		}
	}
	for cloud, n := range f.events {
		if got[cloud] != int64(n) {
			t.Errorf("%s: %d counted, want %d", cloud, got[cloud], n)
		}
	}
}

package storecontract

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
)

// NewHistory makes an empty alert history under test, cleaned up with t.
type NewHistory func(t *testing.T) alert.History

// History runs the alert.History contract: each alert listed once at its first sending however
// often it is recorded, ranges [from, to) newest first, limits, and every field read back.
func History(t *testing.T, newHistory NewHistory) {
	t.Run("Contract", func(t *testing.T) { historyContract(t, newHistory) })
	t.Run("RecentNewestFirstWithinRange", func(t *testing.T) { historyRecentWithinRange(t, newHistory) })
}

func historyContract(t *testing.T, newHistory NewHistory) {
	ctx := context.Background()
	base := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	sent := func(id string, at time.Duration) alert.Sent {
		a := AlertFor(id)
		return alert.SentAt(&a, base.Add(at))
	}
	h := newHistory(t)
	// Three hours, two alerts in one hour, one sent again later (a lapsed lease) and a batch
	// recorded twice (redelivery): each alert is listed once, first sending kept.
	batch := []alert.Sent{sent("e1", 5*time.Minute), sent("e2", 70*time.Minute), sent("e3", 75*time.Minute), sent("e4", 130*time.Minute)}
	for range 2 {
		if err := h.Record(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Record(ctx, []alert.Sent{sent("e2", 150*time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		from, to time.Duration
		limit    int
		want     []string
	}{
		{"all, newest first", -time.Hour, 4 * time.Hour, 0, []string{"e4", "e3", "e2", "e1"}},
		{"limit", -time.Hour, 4 * time.Hour, 2, []string{"e4", "e3"}},
		{"one hour", time.Hour, 2 * time.Hour, 0, []string{"e3", "e2"}},
		{"to excluded", 0, 75 * time.Minute, 0, []string{"e2", "e1"}},
		{"from inside an hour", 72 * time.Minute, 140 * time.Minute, 0, []string{"e4", "e3"}},
		{"none", 5 * time.Hour, 6 * time.Hour, 0, nil},
	} {
		got, err := h.Recent(ctx, base.Add(tc.from), base.Add(tc.to), tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.EventID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, ids, tc.want)
		}
		for _, s := range got {
			if s.EventID == "e2" && !s.At.Equal(base.Add(70*time.Minute)) {
				t.Errorf("%s: e2 sent at %v, want the first sending", tc.name, s.At)
			}
		}
	}
	// Round trip of every field.
	got, _ := h.Recent(ctx, base, base.Add(10*time.Minute), 0)
	if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(batch[0]) {
		t.Errorf("read %+v, want %+v", got, batch[0])
	}
}

func historyRecentWithinRange(t *testing.T, newHistory NewHistory) {
	ctx := context.Background()
	h := newHistory(t)
	var sent []alert.Sent
	for i, id := range []string{"a", "b", "c", "d"} {
		a := AlertFor(id)
		sent = append(sent, alert.SentAt(&a, T0.Add(time.Duration(i)*time.Hour)))
	}
	if err := h.Record(ctx, sent); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from, to time.Time
		limit    int
		want     []string
	}{
		{T0, T0.Add(4 * time.Hour), 0, []string{"d", "c", "b", "a"}},
		{T0, T0.Add(4 * time.Hour), 2, []string{"d", "c"}},
		{T0.Add(time.Hour), T0.Add(3 * time.Hour), 0, []string{"c", "b"}},
	} {
		got, err := h.Recent(ctx, tc.from, tc.to, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, g := range got {
			ids = append(ids, g.EventID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("Recent(%v, %v, %d) = %v, want %v", tc.from, tc.to, tc.limit, ids, tc.want)
		}
	}
}

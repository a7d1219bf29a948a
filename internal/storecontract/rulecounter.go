package storecontract

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/rules"
)

// RuleCounter runs the rules.Counter contract (the tally: and distinct: thresholds): distinct
// members counted per key up to the limit, idempotently (a redelivered event adds nothing),
// and the members that made the limit listed once it is reached; concurrent Adds (parallel
// invocations) agree on one set and cross the threshold once.
func RuleCounter(t *testing.T, c rules.Counter) {
	t.Helper()
	ruleCounterSteps(t, c)
	ruleCounterConcurrent(t, c)
}

func ruleCounterSteps(t *testing.T, c rules.Counter) {
	t.Helper()
	ctx := context.Background()
	expires := time.Date(2026, 11, 21, 10, 10, 0, 0, time.UTC)
	steps := []struct {
		key, member string
		want        bool
		members     []string // when reached: the set, if the store returns it (nil: either)
		why         string
	}{
		{"rt#k", "e1", false, nil, "first event"},
		{"rt#k", "e1", false, nil, "redelivered: counted once"},
		{"rt#k", "e2", false, nil, "second event"},
		{"rt#other", "x1", false, nil, "another key counts apart"},
		{"rt#k", "e3", true, []string{"e1", "e2", "e3"}, "third event reaches the threshold and lists the set"},
		{"rt#k", "e4", true, nil, "a fourth finds the count full"},
		{"rt#k", "e2", true, nil, "a redelivered counted event"},
		// A distinct rule's values: the same secret read twice is one value.
		{"rt#d", "secret-a", false, nil, "first secret"},
		{"rt#d", "secret-a", false, nil, "the same secret again"},
		{"rt#d", "secret-b", false, nil, "second secret"},
		{"rt#d", "secret-b", false, nil, "second secret again"},
		{"rt#d", "secret-c", true, []string{"secret-a", "secret-b", "secret-c"}, "third distinct secret"},
	}
	for _, s := range steps {
		reached, members, err := c.Add(ctx, s.key, s.member, 3, expires)
		if err != nil {
			t.Fatalf("%s: Add(%s, %s): %v", s.why, s.key, s.member, err)
		}
		if reached != s.want {
			t.Errorf("%s: reached %t, want %t", s.why, reached, s.want)
		}
		if !reached && members != nil {
			t.Errorf("%s: members %v below the threshold", s.why, members)
		}
		if s.members != nil {
			got := slices.Sorted(slices.Values(members))
			if !slices.Equal(got, s.members) {
				t.Errorf("%s: members %v, want %v", s.why, got, s.members)
			}
		}
	}
}

// ruleCounterConcurrent: 20 invocations add 20 distinct members to one key at once, limit 5:
// exactly 4 Adds are below the threshold (the first four members), the other 16 find it
// reached, and every set they are given is the same 5 members.
func ruleCounterConcurrent(t *testing.T, c rules.Counter) {
	t.Helper()
	ctx := context.Background()
	expires := time.Date(2026, 11, 21, 10, 10, 0, 0, time.UTC)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		below int
		sets  = map[string]int{}
	)
	for i := range 20 {
		wg.Go(func() {
			reached, members, err := c.Add(ctx, "rt#race", fmt.Sprintf("e%02d", i), 5, expires)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case !reached:
				below++
			case members != nil:
				sets[fmt.Sprint(slices.Sorted(slices.Values(members)))]++
			}
		})
	}
	wg.Wait()
	if below != 4 {
		t.Errorf("%d concurrent Adds below the threshold of 5, want 4", below)
	}
	if len(sets) != 1 {
		t.Errorf("the reached threshold listed %d different sets %v, want one", len(sets), sets)
	}
	for set := range sets {
		if n := len(strings.Fields(set)); n != 5 {
			t.Errorf("set %s has %d members, want 5", set, n)
		}
	}
}

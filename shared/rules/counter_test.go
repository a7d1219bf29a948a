package rules_test

// The Counter contract runs on every store from internal/storecontract (an external test
// package: storecontract imports rules); shared/localstate runs it on the SQLite counter.

import (
	"context"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/rules"
)

func TestMemoryCounter(t *testing.T) { storecontract.RuleCounter(t, &rules.MemoryCounter{}) }

// TestMemoryCounterKeepsItsMembers: a member may be a view of a read buffer (the log-file
// parser's kept eventName, a distinct rule's member): the counter keeps its own copy, so the
// buffer's next record neither renames a member nor lets a repeat count twice.
func TestMemoryCounterKeepsItsMembers(t *testing.T) {
	ctx := context.Background()
	var c rules.MemoryCounter
	buf := []byte("ListIdentities")
	view := unsafe.String(&buf[0], len(buf))
	if reached, _, err := c.Add(ctx, "k", view, 2, time.Time{}); err != nil || reached {
		t.Fatalf("first member: reached %t, %v", reached, err)
	}
	copy(buf, "ListVerifiedEm") // the buffer's next record
	if reached, _, err := c.Add(ctx, "k", "ListIdentities", 2, time.Time{}); err != nil || reached {
		t.Fatalf("the first member again: reached %t, %v; want a repeat", reached, err)
	}
	reached, members, err := c.Add(ctx, "k", "GetSendQuota", 2, time.Time{})
	if err != nil || !reached || !slices.Equal(members, []string{"GetSendQuota", "ListIdentities"}) {
		t.Fatalf("second member: reached %t, members %q, %v", reached, members, err)
	}
}

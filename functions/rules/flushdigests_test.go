package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/rules"
)

// TestFlushDigestsAction: the schedule's {"action":"flush-digests"} is recognized before any
// CloudTrail decoding and sends the digest of a flood that stopped, once; it is no malformed
// event. A publisher without a ledger (the local printer) has nothing to flush.
func TestFlushDigestsAction(t *testing.T) {
	h, rec, logs, m := newHandlerWithMetrics(t, rules.Selection{})
	t0 := time.Date(2026, 11, 21, 10, 2, 0, 0, time.UTC)
	clock := t0
	sender := &alert.Sender{
		Ledger:    &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 2}},
		Publisher: rec, Log: h.Log, Metrics: m, Now: func() time.Time { return clock },
	}
	for i := range 12 { // twelve root sign-ins from twelve addresses of one /24: two sent, ten folded
		clock = t0.Add(time.Duration(i) * time.Minute)
		a := alert.Alert{Kind: "root-account-usage", Severity: alert.High, Title: "root account used", Account: "111122223333",
			Principal: "arn:aws:iam::111122223333:root", SourceIP: fmt.Sprintf("203.0.113.%d", 10+i), EventID: fmt.Sprintf("ev-%d", i)}
		if err := sender.Publish(context.Background(), []alert.Alert{a}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rec.Kinds()); n != 2 {
		t.Fatalf("the flood sent %d alerts, want 2", n)
	}
	h.Alerts = sender
	payload := []byte(`{"action":"flush-digests"}`)
	for _, at := range []time.Duration{30 * time.Minute, 65 * time.Minute, 70 * time.Minute} {
		h.Now = func() time.Time { return t0.Add(at) }
		if err := h.Handle(context.Background(), payload); err != nil {
			t.Fatalf("flush at +%s: %v", at, err)
		}
	}
	if n := len(rec.Kinds()); n != 3 {
		t.Fatalf("%d alerts after three flushes, want the two and one digest", n)
	}
	if d := rec.Alerts()[2]; d.Folded != 10 || d.FoldedFrom != "203.0.113.0/24" || d.Severity != alert.High {
		t.Errorf("digest %s +%d from %q, want HIGH +10 from the /24", d.Severity, d.Folded, d.FoldedFrom)
	}
	if m.Get("MalformedEvents") != 0 || m.Get("EventsEvaluated") != 0 || m.Get("DigestsSent") != 1 {
		t.Errorf("metrics malformed %v evaluated %v digests %v, want 0 0 1", m.Get("MalformedEvents"), m.Get("EventsEvaluated"), m.Get("DigestsSent"))
	}
	if !strings.Contains(logs.String(), `"msg":"flood digests flushed"`) {
		t.Errorf("no flush line in the logs: %s", logs)
	}

	plain, _, _ := newHandler(t, rules.Selection{})
	if err := plain.Handle(context.Background(), payload); err != nil {
		t.Errorf("a publisher without a ledger: %v, want nothing to flush", err)
	}
}

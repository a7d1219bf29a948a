package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/metrics"
)

// TestDecisionsAreLoggedAndCounted: every decision is one JSON log line carrying the Lambda
// request ID (and the event ID once the event is decoded), and the invocation's counters say
// what happened: checked, sent, duplicate, suppressed, malformed.
func TestDecisionsAreLoggedAndCounted(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	counters := &metrics.Counters{}
	h := newHandler(t, nil)
	h.Log, h.Metrics = log, counters
	h.Alerts = &alert.Sender{Ledger: &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
		Publisher: &alerttest.Recorder{}, Log: log, Metrics: counters}
	for i, f := range []string{"untrusted-ipv4.json", "untrusted-ipv4.redelivered.json", "untrusted-ipv4.repeat.json", "malformed-missing-detail.json"} {
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-" + f})
		err := h.Handle(ctx, localtest.Event(t, "logincheck", f))
		if (err != nil) != (i == 3) {
			t.Fatalf("%s: Handle = %v", f, err)
		}
	}
	for name, want := range map[string]float64{"EventsChecked": 3, "AlertsSent": 1, "AlertsDuplicate": 1, "AlertsSuppressed": 1, "MalformedEvents": 1} {
		if got := counters.Get(name); got != want {
			t.Errorf("counter %s = %v, want %v", name, got, want)
		}
	}
	decisions := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		d, _ := l["decision"].(string)
		if d == "" {
			continue
		}
		decisions[d]++
		if id, _ := l["request_id"].(string); !strings.HasPrefix(id, "req-") {
			t.Errorf("decision line without the request ID: %s", line)
		}
		if id, _ := l["event_id"].(string); id == "" && d != "reject" {
			t.Errorf("decision line without the event ID: %s", line)
		}
	}
	for _, d := range []string{"alert", "send", "duplicate", "suppress", "reject"} {
		if decisions[d] == 0 {
			t.Errorf("no %q decision logged (logged %v)", d, decisions)
		}
	}
}

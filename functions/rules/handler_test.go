package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/localtest"
	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

func newHandler(t *testing.T, cfg rules.Selection) (*Handler, *alerttest.Recorder, *bytes.Buffer) {
	h, rec, logs, _ := newHandlerWithMetrics(t, cfg)
	return h, rec, logs
}

func newHandlerWithMetrics(t *testing.T, cfg rules.Selection) (*Handler, *alerttest.Recorder, *bytes.Buffer, *metrics.Counters) {
	t.Helper()
	e, err := cfg.Build(pack.FS)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rules.NewDetector(e, &rules.MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &alerttest.Recorder{}
	logs := &bytes.Buffer{}
	m := &metrics.Counters{Function: "rules"}
	return &Handler{Rules: d, Alerts: rec, Log: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: m}, rec, logs, m
}

// TestSampleEvents replays every file of events/rules (the table of its README).
func TestSampleEvents(t *testing.T) {
	tests := []struct {
		file      string
		wantKinds []string
		wantErr   string // the field a malformed event's error names
	}{
		{"trail-stopped.json", []string{"cloudtrail-logging-stopped"}, ""},
		{"trail-stopped.redelivered.json", []string{"cloudtrail-logging-stopped"}, ""}, // the Sender drops it: TestDemoOrder
		{"trail-stopped.repeat.json", []string{"cloudtrail-logging-stopped"}, ""},      // suppressed by the Sender: TestDemoOrder
		{"security-group-opened.json", []string{"security-group-changed", "security-group-open-to-internet"}, ""},
		{"kms-key-scheduled-for-deletion.json", []string{"kms-key-disabled-or-deleted"}, ""},
		{"bucket-policy-public.json", []string{"s3-bucket-policy-changed"}, ""},
		{"access-denied.json", nil, ""}, // unauthorized-api-call is a threshold rule now: one refusal is not a burst
		{"root-sign-in-without-mfa.json", []string{"console-sign-in-without-mfa", "root-account-usage"}, ""},
		{"instance-started.json", nil, ""},
		{"malformed-not-cloudtrail.json", nil, "field detail-type:"},
		{"instance-started-no-event-id.json", nil, ""},
		{"trail-stopped-export-time-no-event-id.json", []string{"cloudtrail-logging-stopped"}, ""},
		{"malformed-impossible-date.json", nil, "field detail.eventTime:"},
	}
	files, _ := filepath.Glob("../../events/rules/*.json")
	if len(files) != len(tests) {
		t.Errorf("events/rules has %d files, the table %d: keep them in step", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h, rec, _, m := newHandlerWithMetrics(t, rules.Selection{})
			err := h.Handle(context.Background(), localtest.Event(t, "rules", tt.file))
			evaluated, malformed := 1.0, 0.0
			if tt.wantErr != "" {
				evaluated, malformed = 0, 1
			}
			if m.Get("EventsEvaluated") != evaluated || m.Get("MalformedEvents") != malformed || m.Get("RuleMatches") != float64(len(tt.wantKinds)) {
				t.Errorf("metrics evaluated %v malformed %v matches %v", m.Get("EventsEvaluated"), m.Get("MalformedEvents"), m.Get("RuleMatches"))
			}
			if tt.wantErr != "" {
				if !errors.Is(err, trail.ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a malformed-event error containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := rec.Kinds(); !slices.Equal(got, tt.wantKinds) {
				t.Errorf("alert kinds %v, want %v", got, tt.wantKinds)
			}
		})
	}
}

// TestRedeliveryGivesTheSameDedupeKeys: Lambda delivers at least once; a redelivered event
// raises alerts with the same kind#eventID keys, which the alert layer's ledger drops.
func TestRedeliveryGivesTheSameDedupeKeys(t *testing.T) {
	h, rec, _ := newHandler(t, rules.Selection{})
	raw := localtest.Event(t, "rules", "root-sign-in-without-mfa.json")
	for range 2 {
		if err := h.Handle(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.Alerts()) != 4 {
		t.Fatalf("%d alerts, want 2 per delivery", len(rec.Alerts()))
	}
	for i := range 2 {
		if a, b := rec.Alerts()[i], rec.Alerts()[i+2]; a.DedupeKey() != b.DedupeKey() || a.Fingerprint() != b.Fingerprint() {
			t.Errorf("delivery 2 alert %d: key %s fingerprint %s, delivery 1: %s %s", i, b.DedupeKey(), b.Fingerprint(), a.DedupeKey(), a.Fingerprint())
		}
	}
	if a := rec.Alerts()[0]; a.DedupeKey() != "console-sign-in-without-mfa#2e4c6a8b-0d1f-4e3a-9c5b-7d9f1b3d5e7a#"+a.Fingerprint() {
		t.Errorf("dedupe key %s", rec.Alerts()[0].DedupeKey())
	}
}

// TestBothPathsGiveTheSameKeys: the record the aggregator reads from the delivered log file
// (a bare record) raises alerts with the same kind#eventID as the EventBridge event, so the
// alert layer sends each once.
func TestBothPathsGiveTheSameKeys(t *testing.T) {
	h, rec, _ := newHandler(t, rules.Selection{})
	raw := localtest.Event(t, "rules", "trail-stopped.json")
	if err := h.Handle(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	ev, err := trail.DecodeEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	bare := mustRecord(t, raw)
	if bare.EventID != ev.Detail.EventID {
		t.Fatal("test setup: the bare record is not the event's")
	}
	fromFile, err := h.Rules.Detect(context.Background(), bare)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromFile) != len(rec.Alerts()) || len(fromFile) == 0 {
		t.Fatalf("log-file path %d alerts, real-time path %d", len(fromFile), len(rec.Alerts()))
	}
	for i := range fromFile {
		if fromFile[i].DedupeKey() != rec.Alerts()[i].DedupeKey() || fromFile[i].Fingerprint() != rec.Alerts()[i].Fingerprint() {
			t.Errorf("alert %d: log-file path %s, real-time path %s", i, fromFile[i].DedupeKey(), rec.Alerts()[i].DedupeKey())
		}
	}
}

// mustDetail is the detail object of an EventBridge event: the record as a log file holds it.
func mustDetail(t *testing.T, raw []byte) []byte {
	t.Helper()
	var env struct {
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Detail) == 0 {
		t.Fatalf("no detail: %v", err)
	}
	return env.Detail
}

func TestPublishFailureFailsTheInvocation(t *testing.T) {
	h, rec, _ := newHandler(t, rules.Selection{})
	rec.Err = errors.New("sns: throttled")
	err := h.Handle(context.Background(), localtest.Event(t, "rules", "trail-stopped.json"))
	if err == nil || !strings.Contains(err.Error(), "sns: throttled") || !strings.Contains(err.Error(), "6a4e2c0b-8f6d-4a4e-8c0b-8f6d4a2e0c8b") {
		t.Errorf("error %v, want the publish error with the event ID", err)
	}
}

// TestRuleThatCannotDecide: a team rule erroring on an event does not hold back the other
// rules' alerts, and fails the invocation (retried, then dead-lettered) naming the rule.
func TestRuleThatCannotDecide(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fragile.yaml"), []byte(`id: fragile
title: fragile
severity: LOW
when: event.requestParameters.bucketName == "secrets"
tests:
  - name: secrets
    expect: true
    event: {"eventID": "1", "eventName": "GetObject", "requestParameters": {"bucketName": "secrets"}}
  - name: other
    expect: false
    event: {"eventID": "2", "eventName": "GetObject", "requestParameters": {"bucketName": "other"}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	h, rec, logs, m := newHandlerWithMetrics(t, rules.Selection{Dir: dir})
	err := h.Handle(context.Background(), localtest.Event(t, "rules", "trail-stopped.json"))
	if m.Get("RuleErrors") != 1 {
		t.Errorf("RuleErrors %v, want 1", m.Get("RuleErrors"))
	}
	var ee *rules.EvalError
	if !errors.As(err, &ee) || ee.RuleID != "fragile" || !strings.Contains(err.Error(), "no such key: bucketName") {
		t.Fatalf("error %v, want rule fragile's evaluation error", err)
	}
	if !slices.Equal(rec.Kinds(), []string{"cloudtrail-logging-stopped"}) {
		t.Errorf("alerts %v, want the built-in's", rec.Kinds())
	}
	if !strings.Contains(logs.String(), `"msg":"rule could not be evaluated","event_id":"6a4e2c0b-8f6d-4a4e-8c0b-8f6d4a2e0c8b"`) || !strings.Contains(logs.String(), `"rule":"fragile"`) {
		t.Errorf("logs lack the rule error line: %s", logs)
	}
}

func TestDisabledRulesRaiseNothing(t *testing.T) {
	h, rec, _ := newHandler(t, rules.Selection{Disabled: []string{"root-account-usage"}})
	if err := h.Handle(context.Background(), localtest.Event(t, "rules", "root-sign-in-without-mfa.json")); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Kinds(), []string{"console-sign-in-without-mfa"}) {
		t.Errorf("alerts %v", rec.Kinds())
	}
}

// TestRedeliverySendsNothingTwice: through the durable Sender (as main wires it), the
// second delivery of an event publishes nothing; the log-file path's copy of the same record
// publishes nothing either.
func TestRedeliverySendsNothingTwice(t *testing.T) {
	h, rec, _ := newHandler(t, rules.Selection{})
	logs := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	h.Alerts = &alert.Sender{
		Ledger:    &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
		Publisher: rec,
		Log:       logs,
		Metrics:   &metrics.Counters{Function: "rules"},
	}
	raw := localtest.Event(t, "rules", "root-sign-in-without-mfa.json")
	for range 2 {
		if err := h.Handle(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	fromFile, err := h.Rules.Detect(context.Background(), mustRecord(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Alerts.Publish(context.Background(), fromFile); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Kinds(), []string{"console-sign-in-without-mfa", "root-account-usage"}) {
		t.Errorf("published %v, want each kind once", rec.Kinds())
	}
}

func mustRecord(t *testing.T, raw []byte) *trail.Record {
	t.Helper()
	r, err := trail.DecodeRecord(mustDetail(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDemoOrder replays the well-formed samples in file order through one handler and the
// durable Sender, as make demo does: the redelivery sends nothing and the repeat is counted
// as suppressed.
func TestDemoOrder(t *testing.T) {
	h, rec, _ := newHandler(t, rules.Selection{})
	m := &metrics.Counters{Function: "rules"}
	h.Alerts = &alert.Sender{
		Ledger:    &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
		Publisher: rec,
		Log:       slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)),
		Metrics:   m,
	}
	for _, f := range []string{"trail-stopped.json", "trail-stopped.redelivered.json", "trail-stopped.repeat.json"} {
		if err := h.Handle(context.Background(), localtest.Event(t, "rules", f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if !slices.Equal(rec.Kinds(), []string{"cloudtrail-logging-stopped"}) {
		t.Errorf("published %v, want one alert", rec.Kinds())
	}
	if m.Get("AlertsDuplicate") != 1 || m.Get("AlertsSuppressed") != 1 {
		t.Errorf("duplicates %v suppressed %v, want 1 and 1", m.Get("AlertsDuplicate"), m.Get("AlertsSuppressed"))
	}
}

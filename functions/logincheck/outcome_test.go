package main

import (
	"context"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
)

// TestFailureDoesNotHideSuccess: a failed sign-in from an untrusted address followed 20
// minutes later by a successful one from the same address, through the real Sender and its
// suppression ledger: the success is sent, never suppressed by the failure, for root, an IAM
// Identity Center role and an IAM user with an ARN. A second failure inside the window is a
// repeat and stays quiet.
func TestFailureDoesNotHideSuccess(t *testing.T) {
	tests := []struct {
		name, sample string
	}{
		{"root", "root-without-mfa.json"},
		{"identity center role", "sso-federated.json"},
		{"iam user with an arn", "untrusted-ipv4.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &alerttest.Recorder{}
			clock := time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)
			h := newHandler(t, nil)
			h.Alerts = &alert.Sender{Ledger: &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
				Publisher: pub, Log: h.Log, Now: func() time.Time { return clock }}
			for i, step := range []struct{ id, result string }{{"ev-1", "Failure"}, {"ev-2", "Success"}, {"ev-3", "Failure"}} {
				clock = clock.Add(20 * time.Minute)
				raw := signInAs(t, tt.sample, step.id, step.result, clock)
				if err := h.Handle(context.Background(), raw); err != nil {
					t.Fatalf("step %d: %v", i+1, err)
				}
			}
			var outcomes []string
			for _, a := range pub.Alerts() {
				if a.Kind == KindUntrustedSource {
					outcomes = append(outcomes, a.Outcome)
				}
			}
			if len(outcomes) != 2 || outcomes[0] != "Failure" || outcomes[1] != "Success" {
				t.Errorf("untrusted-source-ip alerts sent for outcomes %v, want [Failure Success]", outcomes)
			}
		})
	}
}

// signInAs is a sample sign-in from 203.0.113.66 with the given event ID, result and time.
func signInAs(t *testing.T, sample, id, result string, at time.Time) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(localtest.Event(t, "logincheck", sample), &m); err != nil {
		t.Fatal(err)
	}
	d := detail(m)
	d["eventID"], d["sourceIPAddress"], d["eventTime"] = id, "203.0.113.66", at.Format(time.RFC3339)
	d["responseElements"] = map[string]any{"ConsoleLogin": result}
	if result == "Failure" {
		d["errorMessage"] = "Failed authentication"
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

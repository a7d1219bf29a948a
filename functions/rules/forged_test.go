package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
	"github.com/trailguard/trailguard/shared/turnaway"
)

// Only AWS can speak for AWS: a real CloudTrail record under a source that is not AWS's, or
// a sign-in under any source but aws.signin, is rejected — one log line, one count, no rule
// run, no alert, no error (nothing to retry). Any "aws.*" source is AWS's (EventBridge
// reserves the prefix), so an API call from "aws.signin.evil" is evaluated.
func TestForgedSourcesAreRejected(t *testing.T) {
	tests := []struct {
		file, source string
		wantReason   string // "": evaluated as usual
		wantKinds    []string
	}{
		{"trail-stopped.json", "aws.cloudtrail", "", []string{"cloudtrail-logging-stopped"}},
		{"trail-stopped.json", "aws.signin.evil", "", []string{"cloudtrail-logging-stopped"}},
		{"root-sign-in-without-mfa.json", "aws.signin", "", []string{"console-sign-in-without-mfa", "root-account-usage"}},
		{"trail-stopped.json", "com.attacker.forged", trail.ReasonForgedSource, nil},
		{"kms-key-scheduled-for-deletion.json", "com.attacker.forged", trail.ReasonForgedSource, nil},
		{"root-sign-in-without-mfa.json", "com.attacker.forged", trail.ReasonForgedSource, nil},
		{"trail-stopped.json", "aws", trail.ReasonForgedSource, nil},
		{"trail-stopped.json", "aws.", trail.ReasonForgedSource, nil},
		{"trail-stopped.json", "AWS.cloudtrail", trail.ReasonForgedSource, nil},
		{"malformed-impossible-date.json", "com.attacker.forged", trail.ReasonForgedSource, nil}, // judged before the record
		{"root-sign-in-without-mfa.json", "aws.signin.evil", trail.ReasonSignInSource, nil},
		{"root-sign-in-without-mfa.json", "aws.iam", trail.ReasonSignInSource, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.source, func(t *testing.T) {
			h, rec, logs, m := newHandlerWithMetrics(t, rules.Selection{})
			if err := h.Handle(context.Background(), localtest.EventWithSource(t, "rules", tt.file, tt.source)); err != nil {
				t.Fatalf("Handle = %v, want nil", err)
			}
			if got := rec.Kinds(); !slices.Equal(got, tt.wantKinds) {
				t.Errorf("alert kinds %v, want %v", got, tt.wantKinds)
			}
			forged, evaluated := 0.0, 1.0
			if tt.wantReason != "" {
				forged, evaluated = 1, 0
			}
			if m.Get("ForgedSources") != forged || m.Get("EventsEvaluated") != evaluated {
				t.Errorf("ForgedSources %v, EventsEvaluated %v; want %v, %v", m.Get("ForgedSources"), m.Get("EventsEvaluated"), forged, evaluated)
			}
			if tt.wantReason == "" {
				return
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want one:\n%s", len(lines), logs)
			}
			var l map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
				t.Fatal(err)
			}
			if l["decision"] != "rejected" || l["reason"] != tt.wantReason || l["source"] != tt.source || l["account"] != "111122223333" {
				t.Errorf("log line %v, want decision rejected, reason %q, source %q and the envelope's account", l, tt.wantReason, tt.source)
			}
		})
	}
}

// The sender chose the source: it is logged cleaned of control and invisible characters and
// capped, never as sent.
func TestForgedSourceIsLoggedSanitized(t *testing.T) {
	h, _, logs := newHandler(t, rules.Selection{})
	source := "com.evil\n{\"decision\":\"pass\"}\u202e\u0007" + strings.Repeat("x", 300)
	if err := h.Handle(context.Background(), localtest.EventWithSource(t, "rules", "trail-stopped.json", source)); err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(logs.Bytes(), &l); err != nil {
		t.Fatalf("want one log line: %v\n%s", err, logs)
	}
	got, _ := l["source"].(string)
	if strings.ContainsAny(got, "\n\u202e\u0007") || len([]rune(got)) > turnaway.MaxLogged || !strings.HasPrefix(got, "com.evil {") {
		t.Errorf("logged source %q, want it cleaned and at most %d characters", got, turnaway.MaxLogged)
	}
}

// An event with no source is not one EventBridge can deliver (PutEvents requires a source):
// it is malformed, failed naming the field, and ends in the dead-letter queue.
func TestEmptySourceIsMalformed(t *testing.T) {
	h, rec, _ := newHandler(t, rules.Selection{})
	err := h.Handle(context.Background(), localtest.EventWithSource(t, "rules", "trail-stopped.json", ""))
	var fe *trail.FieldError
	if !errors.Is(err, trail.ErrMalformed) || !errors.As(err, &fe) || fe.Field != "source" {
		t.Fatalf("Handle = %v, want a malformed-event error naming source", err)
	}
	if len(rec.Alerts()) != 0 {
		t.Errorf("alerts %v, want none", rec.Kinds())
	}
}

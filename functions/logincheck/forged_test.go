package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/trail"
	"github.com/trailguard/trailguard/shared/turnaway"
)

// Only AWS can speak for AWS: a real sign-in record under a source that is not aws.signin
// is rejected — one log line, one count, no alert, no error (nothing to retry) — whatever
// the record would have raised; the genuine event still alerts.
func TestForgedSourcesAreRejected(t *testing.T) {
	tests := []struct {
		file, source string
		wantReason   string // "": checked as usual
		wantKinds    []string
	}{
		{"untrusted-ipv4.json", "aws.signin", "", []string{KindUntrustedSource}},
		{"identity-center-user.json", "aws.signin", "", []string{KindUntrustedSource}}, // AWS Service Event via CloudTrail
		{"untrusted-ipv4.json", "com.attacker.forged", trail.ReasonForgedSource, nil},
		{"root-without-mfa.json", "com.attacker.forged", trail.ReasonForgedSource, nil},
		{"identity-center-user.json", "com.attacker.forged", trail.ReasonForgedSource, nil},
		{"unreadable-source-address.json", "com.attacker.forged", trail.ReasonForgedSource, nil}, // the tolerant decode's path
		{"untrusted-ipv4.json", "aws", trail.ReasonForgedSource, nil},
		{"untrusted-ipv4.json", "aws.", trail.ReasonForgedSource, nil},
		{"untrusted-ipv4.json", "AWS.signin", trail.ReasonForgedSource, nil},
		{"untrusted-ipv4.json", "aws-signin", trail.ReasonForgedSource, nil},
		// "aws.*" is reserved to AWS, so these are AWS's, but no AWS sign-in comes from them:
		// only a direct invocation could deliver them here.
		{"untrusted-ipv4.json", "aws.signin.evil", trail.ReasonSignInSource, nil},
		{"identity-center-user.json", "aws.sso", trail.ReasonSignInSource, nil},
		{"untrusted-ipv4.json", "aws.ec2", trail.ReasonSignInSource, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.source, func(t *testing.T) {
			rec := &alerttest.Recorder{}
			h := newHandler(t, rec)
			logs := &bytes.Buffer{}
			counters := &metrics.Counters{}
			h.Log, h.Metrics = slog.New(slog.NewJSONHandler(logs, nil)), counters
			if err := h.Handle(context.Background(), localtest.EventWithSource(t, "logincheck", tt.file, tt.source)); err != nil {
				t.Fatalf("Handle = %v, want nil (a forged event is not retried)", err)
			}
			if got := rec.Kinds(); strings.Join(got, ",") != strings.Join(tt.wantKinds, ",") {
				t.Errorf("alerts %v, want %v", got, tt.wantKinds)
			}
			forged := 0.0
			if tt.wantReason != "" {
				forged = 1
			}
			if got := counters.Get("ForgedSources"); got != forged {
				t.Errorf("ForgedSources = %v, want %v", got, forged)
			}
			if tt.wantReason == "" {
				return
			}
			lines := logLines(t, logs)
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want one:\n%s", len(lines), logs)
			}
			l := lines[0]
			if l["decision"] != "rejected" || l["reason"] != tt.wantReason || l["source"] != tt.source || l["account"] != "111122223333" {
				t.Errorf("log line %v, want decision rejected, reason %q, source %q and the envelope's account", l, tt.wantReason, tt.source)
			}
			if counters.Get("EventsChecked") != 0 {
				t.Error("a rejected event was checked")
			}
		})
	}
}

// The sender chose the source: it is logged cleaned of control and invisible characters and
// capped, never as sent.
func TestForgedSourceIsLoggedSanitized(t *testing.T) {
	h := newHandler(t, &alerttest.Recorder{})
	logs := &bytes.Buffer{}
	h.Log = slog.New(slog.NewJSONHandler(logs, nil))
	source := "com.evil\n{\"decision\":\"pass\"}\u202e\u0007" + strings.Repeat("x", 300)
	if err := h.Handle(context.Background(), localtest.EventWithSource(t, "logincheck", "untrusted-ipv4.json", source)); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, logs)
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want one:\n%s", len(lines), logs)
	}
	got, _ := lines[0]["source"].(string)
	if strings.ContainsAny(got, "\n\u202e\u0007") || len([]rune(got)) > turnaway.MaxLogged || !strings.HasPrefix(got, "com.evil {") {
		t.Errorf("logged source %q, want it cleaned and at most %d characters", got, turnaway.MaxLogged)
	}
}

// An event with no source at all is not one EventBridge can deliver (PutEvents requires a
// source): it is malformed, failed naming the field, and ends in the dead-letter queue.
func TestEmptySourceIsMalformed(t *testing.T) {
	rec := &alerttest.Recorder{}
	err := newHandler(t, rec).Handle(context.Background(), localtest.EventWithSource(t, "logincheck", "untrusted-ipv4.json", ""))
	var fe *trail.FieldError
	if !errors.Is(err, trail.ErrMalformed) || !errors.As(err, &fe) || fe.Field != "source" {
		t.Fatalf("Handle = %v, want a malformed-event error naming source", err)
	}
	if len(rec.Alerts()) != 0 {
		t.Errorf("alerts %v, want none", rec.Kinds())
	}
}

func logLines(t testing.TB, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

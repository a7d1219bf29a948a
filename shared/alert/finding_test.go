package alert

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/trail"
)

// memPublisher records what reaches the publisher.
type memPublisher struct {
	mu   sync.Mutex
	sent []Alert
}

func (p *memPublisher) Publish(_ context.Context, alerts []Alert) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, alerts...)
	return nil
}

// TestFindingsAreIdentifiedByWhatTheyAre runs deliveries through the Sender on both ledgers:
// two findings that share an event ID are both sent and a redelivery of them sends nothing; a
// successful sign-in after a failed one from the same address is sent, while a second failure
// inside the window is suppressed.
func TestFindingsAreIdentifiedByWhatTheyAre(t *testing.T) {
	alice, bob := sample(), sample()
	alice.EventID, bob.EventID = "shared-id", "shared-id"
	bob.Principal, bob.User = "arn:aws:iam::111122223333:user/bob", "bob"
	failure, success, failureAgain := sample(), sample(), sample()
	failure.EventID, failure.Outcome = "e-fail", "Failure"
	success.EventID, success.Outcome = "e-success", "Success"
	failureAgain.EventID, failureAgain.Outcome = "e-fail-2", "Failure"
	tests := []struct {
		name       string
		deliveries [][]Alert
		wantSent   []string // event ID/principal of each alert published, in order
	}{
		{"two findings, one event ID, then the redelivery", [][]Alert{{alice, bob}, {alice, bob}},
			[]string{"shared-id/alice", "shared-id/bob"}},
		{"failure then success from one address", [][]Alert{{failure}, {success}, {failureAgain}},
			[]string{"e-fail/alice", "e-success/alice"}},
	}
	for _, lc := range ledgers() {
		for _, tt := range tests {
			t.Run(lc.name+"/"+tt.name, func(t *testing.T) {
				pub := &memPublisher{}
				clock := t0
				s := &Sender{Ledger: lc.new(t, LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}), Publisher: pub,
					Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }}
				for i, d := range tt.deliveries {
					clock = t0.Add(time.Duration(i) * 20 * time.Minute)
					if err := s.Publish(context.Background(), d); err != nil {
						t.Fatalf("delivery %d: %v", i+1, err)
					}
				}
				var got []string
				for _, a := range pub.sent {
					got = append(got, a.EventID+"/"+a.User)
				}
				if len(got) != len(tt.wantSent) {
					t.Fatalf("sent %v, want %v", got, tt.wantSent)
				}
				for i := range got {
					if got[i] != tt.wantSent[i] {
						t.Errorf("sent %v, want %v", got, tt.wantSent)
					}
				}
			})
		}
	}
}

func TestOutcomeInFingerprint(t *testing.T) {
	a, b := sample(), sample()
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("same finding, two fingerprints")
	}
	a.Outcome, b.Outcome = "Failure", "Success"
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("a failure and a success share a fingerprint: the failure would suppress the success")
	}
	c := sample()
	c.FingerprintExtra = []string{"outcome=Failure"}
	if c.Fingerprint() == a.Fingerprint() {
		t.Error("Outcome and FingerprintExtra collide")
	}
}

// TestAboutReadsTheOutcome: About fills Outcome from a sign-in record (console or the sign-in
// service), and leaves it empty for other events.
func TestAboutReadsTheOutcome(t *testing.T) {
	tests := []struct {
		name string
		rec  trail.Record
		want string
	}{
		{"console failure", trail.Record{EventType: "AwsConsoleSignIn", EventName: "ConsoleLogin", ResponseElements: []byte(`{"ConsoleLogin":"Failure"}`)}, "Failure"},
		{"identity center", trail.Record{EventSource: "signin.amazonaws.com", EventType: "AwsServiceEvent", EventName: "CredentialVerification",
			ServiceEventDetails: []byte(`{"CredentialVerification":"Success"}`)}, "Success"},
		{"api call", trail.Record{EventType: "AwsApiCall", EventName: "StopLogging", ResponseElements: []byte(`{"ConsoleLogin":"Success"}`)}, ""},
		{"unreadable outcome", trail.Record{EventType: "AwsConsoleSignIn", ResponseElements: []byte(`{"ConsoleLogin":1}`)}, ""},
	}
	for _, tt := range tests {
		if got := About(&tt.rec).Outcome; got != tt.want {
			t.Errorf("%s: Outcome %q, want %q", tt.name, got, tt.want)
		}
	}
}

package alert

import (
	"testing"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestFindingsAreIdentifiedByWhatTheyAre, run on every ledger, is in internal/storecontract
// (Ledger); contract_test.go runs it on the memory and DynamoDB ledgers.

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

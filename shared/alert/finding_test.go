package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
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

// TestFingerprintsKeepTheirValues: Fingerprint and FloodKey give the values the ledger has
// stored (they name its items), computed here the way they always were: SHA-256 written part
// by part, each part followed by a zero byte.
func TestFingerprintsKeepTheirValues(t *testing.T) {
	stored := func(parts ...string) string {
		h := sha256.New()
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		return hex.EncodeToString(h.Sum(nil)[:16])
	}
	long := strings.Repeat("arn:aws:iam::111122223333:role/very-long-role-name/", 20) // past the stack buffer
	tests := []struct {
		name      string
		a         Alert
		print     []string
		floodKeys []string
	}{
		{"plain", Alert{Kind: "root-account-usage", Account: "111122223333", Principal: "arn:aws:iam::111122223333:root", SourceIP: "203.0.113.7"},
			[]string{"root-account-usage", "111122223333", "arn:aws:iam::111122223333:root", "203.0.113.7"},
			[]string{"root-account-usage", "111122223333", "arn:aws:iam::111122223333:root"}},
		{"outcome, cloud and extras", Alert{Kind: "k", Account: "a", Principal: "p", SourceIP: "2001:db8::1", Outcome: "Failure", Cloud: "tencent", FingerprintExtra: []string{"p3.2xlarge", ""}},
			[]string{"k", "a", "p", "2001:db8::1", "\x01outcome=Failure", "\x01cloud=tencent", "p3.2xlarge", ""},
			[]string{"k", "a", "p", "\x01outcome=Failure"}},
		{"empty", Alert{}, []string{"", "", "", ""}, []string{"", "", ""}},
		{"long", Alert{Kind: "k", Principal: long, FingerprintExtra: []string{long}}, []string{"k", "", long, "", long}, []string{"k", "", long}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := tc.a.Fingerprint(), stored(tc.print...); got != want {
				t.Errorf("Fingerprint %s, stored %s", got, want)
			}
			if got, want := tc.a.FloodKey(), stored(tc.floodKeys...); got != want {
				t.Errorf("FloodKey %s, stored %s", got, want)
			}
			var memo FingerprintMemo
			for _, when := range []string{"first", "remembered"} {
				if got, want := memo.Of(&tc.a), stored(tc.print...); got != want {
					t.Errorf("FingerprintMemo.Of (%s) %s, stored %s", when, got, want)
				}
			}
		})
	}
}

// TestFingerprintMemoTellsFindingsApart: the memo answers each alert with its own fingerprint
// however many findings it has seen (past its bound, when it is refilled), alerts that differ
// in one part or only in where parts split included.
func TestFingerprintMemoTellsFindingsApart(t *testing.T) {
	var memo FingerprintMemo
	alerts := []Alert{
		{Kind: "k", FingerprintExtra: []string{"ab", ""}},
		{Kind: "k", FingerprintExtra: []string{"a", "b"}},
		{Kind: "k", SourceIP: "a", FingerprintExtra: []string{"b"}},
		{Kind: "k", Outcome: "Failure"},
		{Kind: "k", Cloud: "huawei"},
	}
	for i := range 3 * maxMemoPrints {
		alerts = append(alerts, Alert{Kind: "root-account-usage", Account: "111122223333", SourceIP: fmt.Sprintf("198.51.%d.%d", i/256, i%256)})
	}
	seen := map[string]int{}
	for round := range 2 {
		for i := range alerts {
			got, want := memo.Of(&alerts[i]), alerts[i].Fingerprint()
			if got != want {
				t.Fatalf("round %d, alert %d: memo %s, Fingerprint %s", round, i, got, want)
			}
			if j, dup := seen[got]; dup && j != i {
				t.Fatalf("alerts %d and %d share fingerprint %s", j, i, got)
			}
			seen[got] = i
		}
	}
	if n := len(memo.m); n > maxMemoPrints {
		t.Errorf("memo holds %d fingerprints, bound %d", n, maxMemoPrints)
	}
}

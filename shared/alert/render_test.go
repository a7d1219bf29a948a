package alert

import (
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

func sample() Alert {
	return Alert{
		Kind: "untrusted-source-ip", Severity: High, Title: "untrusted sign-in",
		Account: "111122223333", Region: "us-east-1",
		Principal: "arn:aws:iam::111122223333:user/alice", User: "alice",
		SourceIP: "203.0.113.9", EventID: "3b1f2c1e-0000-4000-8000-000000000001",
		EventName: "ConsoleLogin", EventTime: time.Date(2026, 11, 21, 10, 2, 3, 0, time.UTC),
		UserAgent: "Mozilla/5.0", Details: []Detail{{"MFA used", "Yes"}},
	}
}

func TestRenderSample(t *testing.T) {
	m := Render(sample())
	if want := "trailguard HIGH untrusted sign-in IP:203.0.113.9 user:alice acct:111122223333"; m.SMS != want {
		t.Errorf("SMS = %q, want %q", m.SMS, want)
	}
	if want := "trailguard HIGH untrusted sign-in: alice from 203.0.113.9 acct 111122223333"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
	for _, want := range []string{"Who:         alice (arn:aws:iam::111122223333:user/alice)", "From:        203.0.113.9",
		"When:        2026-11-21T10:02:03Z", "What:        ConsoleLogin", "Account:     111122223333", "Region:      us-east-1",
		"Event ID:    3b1f2c1e-0000-4000-8000-000000000001", "User agent:  Mozilla/5.0", "MFA used:    Yes"} {
		if !strings.Contains(m.Email, want) {
			t.Errorf("email lacks %q:\n%s", want, m.Email)
		}
	}
	if got := m.Attributes; got["severity"] != "HIGH" || got["kind"] != "untrusted-source-ip" || got["account"] != "111122223333" {
		t.Errorf("attributes = %v", got)
	}
	var structured map[string]string
	if err := json.Unmarshal([]byte(m.SNSJSON()), &structured); err != nil {
		t.Fatal(err)
	}
	if structured["default"] != m.Default || structured["email"] != m.Email || structured["sms"] != m.SMS || len(structured) != 3 {
		t.Errorf("SNS JSON keys = %v", structured)
	}
	var machine map[string]any
	if err := json.Unmarshal([]byte(m.Default), &machine); err != nil || machine["kind"] != "untrusted-source-ip" || machine["source_ip"] != "203.0.113.9" {
		t.Errorf("default = %s (%v)", m.Default, err)
	}
}

func TestRenderSuppressedCount(t *testing.T) {
	a := sample()
	a.Suppressed, a.SuppressedSince = 37, time.Date(2026, 11, 21, 10, 2, 0, 0, time.UTC)
	m := Render(a)
	if !strings.HasSuffix(m.SMS, " +37 since 10:02") {
		t.Errorf("SMS = %q, want the suppressed count", m.SMS)
	}
	if !strings.Contains(m.Email, "And 37 more like this since 2026-11-21 10:02 UTC") {
		t.Errorf("email lacks the suppressed count:\n%s", m.Email)
	}
}

// TestRenderHostileText: attacker-controlled fields cannot break the channel limits or smuggle
// control, bidi or line-break characters into an SMS or a subject.
func TestRenderHostileText(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Alert)
	}{
		{"long user", func(a *Alert) { a.User = strings.Repeat("mallory", 100) }},
		{"newlines in user", func(a *Alert) { a.User = "alice\r\nSubject: pwned\n" }},
		{"bidi override", func(a *Alert) { a.User = "admin\u202Eexe.gpj" }},
		{"zero width and controls", func(a *Alert) { a.User = "a\u200bl\x00i\x1bc\x7fe" }},
		{"unicode user", func(a *Alert) { a.User = "пользователь-用户-👩‍💻" }},
		{"long ipv6 and title", func(a *Alert) {
			a.SourceIP = "2001:0db8:85a3:0000:0000:8a2e:0370:7334%eth0-very-long-zone-name"
			a.Title = strings.Repeat("t", 200)
			a.Suppressed, a.SuppressedSince = 123456, time.Now()
		}},
		{"invalid utf8", func(a *Alert) { a.User = "al\xffice"; a.UserAgent = "\xfe\xfe" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.edit(&a)
			m := Render(a)
			checkChannels(t, m)
		})
	}
}

func checkChannels(t *testing.T, m Message) {
	t.Helper()
	if len(m.SMS) > MaxSMSBytes {
		t.Errorf("SMS is %d bytes, over %d: %q", len(m.SMS), MaxSMSBytes, m.SMS)
	}
	if len(m.Subject) > MaxSubjectChars || len(m.Subject) == 0 {
		t.Errorf("subject is %d chars: %q", len(m.Subject), m.Subject)
	}
	for name, s := range map[string]string{"SMS": m.SMS, "subject": m.Subject} {
		for _, r := range s {
			if r < 0x20 || r > 0x7e {
				t.Errorf("%s has non-printable-ASCII %U: %q", name, r, s)
			}
		}
	}
	if !utf8.ValidString(m.Email) || strings.ContainsAny(m.Email, "\u202e\u200b\x00\x1b\r") {
		t.Errorf("email keeps dangerous characters: %q", m.Email)
	}
}

// FuzzRender: whatever the event text, the SMS fits 140 bytes and the subject 100 printable
// ASCII characters; a well-formed source address, the account and the person stay whole in
// the SMS (the address in the subject too); the email keeps no invisible filler. Seeds:
// testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	f.Add("alice", "203.0.113.9", "untrusted sign-in", "Mozilla/5.0", "arn:aws:iam::111122223333:user/alice", 0, "")
	f.Add("a\u202Eb\nc", "::ffff:1.2.3.4", "x\x00y", "\xff", "", 3, "2001:db8::/64")
	f.Add("AWSReservedSSO_AdministratorAccess_4f3b2c1d0e9a8b7c/alice@example.com", "2a02:1810:4d02:a100:ffff:ffff:ffff:ffff",
		"untrusted sign-in", "", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_4f3b2c1d0e9a8b7c/alice@example.com", 187, "2a02:1810:4d02:a100::/64")
	f.Add("From: 10.0.0.1\u3164\u2800", "2001:db8::1", "t", "\ufeff", "x", 1<<30, "100+ addresses")
	f.Fuzz(func(t *testing.T, user, ip, title, ua, principal string, folded int, from string) {
		a := sample()
		a.User, a.SourceIP, a.Title, a.UserAgent, a.Principal = user, ip, title, ua, principal
		a.Folded, a.FoldedFrom, a.FoldedSince = folded, from, t0
		a.Suppressed, a.SuppressedSince = folded/3, t0
		if folded%2 == 1 {
			a.FoldingUntil = t0
		}
		m := Render(a)
		checkChannels(t, m)
		if addr, err := netip.ParseAddr(ip); err == nil && addr.Zone() == "" && addr.String() == ip {
			if !strings.Contains(m.SMS, " IP:"+ip+" ") {
				t.Errorf("SMS %q lost the address %q", m.SMS, ip)
			}
			if !strings.Contains(m.Subject, " from "+ip+" ") {
				t.Errorf("subject %q lost the address %q", m.Subject, ip)
			}
		}
		if !strings.Contains(m.SMS, " acct:111122223333") {
			t.Errorf("SMS %q lost the account", m.SMS)
		}
		if p := person(a).name; len(p) <= 12 && Quote(p, 64) == p && !strings.Contains(m.SMS, " user:"+p+" ") {
			t.Errorf("SMS %q lost the person %q", m.SMS, p)
		}
		for _, r := range m.Email + m.Default {
			if invisible(r) {
				t.Fatalf("email or JSON keeps invisible %U", r)
			}
		}
		if m.Size() > MaxMessageBytes {
			t.Errorf("message of %d bytes", m.Size())
		}
	})
}

func TestFingerprint(t *testing.T) {
	a, b := sample(), sample()
	b.EventID, b.EventTime = "another-event", b.EventTime.Add(time.Minute)
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("same finding in two events has two fingerprints")
	}
	for name, edit := range map[string]func(*Alert){
		"kind":      func(x *Alert) { x.Kind = "root-sign-in" },
		"account":   func(x *Alert) { x.Account = "444455556666" },
		"principal": func(x *Alert) { x.Principal = "arn:aws:iam::111122223333:user/bob" },
		"source":    func(x *Alert) { x.SourceIP = "203.0.113.10" },
		"extra":     func(x *Alert) { x.FingerprintExtra = []string{"rule-field"} },
		"boundary":  func(x *Alert) { x.Account, x.Principal = "1111222233", "33arn:aws:iam::111122223333:user/alice" },
	} {
		c := sample()
		edit(&c)
		if c.Fingerprint() == a.Fingerprint() {
			t.Errorf("changing %s keeps the fingerprint", name)
		}
	}
	if a.DedupeKey() == b.DedupeKey() {
		t.Error("two events share a dedupe key")
	}
}

// TestRenderAttackAndRunbook: the email names each tactic and technique and numbers the
// runbook; the JSON carries both; the SMS stays one line within its bytes.
func TestRenderAttackAndRunbook(t *testing.T) {
	a := sample()
	a.Kind, a.Title = "cloudtrail-logging-stopped", "CloudTrail logging stopped"
	a.Attack = []string{"TA0005", "T1562.008", "T9999"}
	a.Runbook = []string{"Who stopped it, from where?", "Start logging again: aws cloudtrail start-logging --name <trail>.", "Bad\x1b[31mstep"}
	m := Render(a)
	for _, want := range []string{
		"Tactic:      TA0005 Defense Evasion\n",
		"Technique:   T1562.008 Impair Defenses: Disable or Modify Cloud Logs\n",
		"Technique:   T9999\n", // unknown to the table: the ID alone
		"\nWhat to check first:\n  1. Who stopped it, from where?\n  2. Start logging again: aws cloudtrail start-logging --name <trail>.\n  3. Bad",
	} {
		if !strings.Contains(m.Email, want) {
			t.Errorf("email lacks %q:\n%s", want, m.Email)
		}
	}
	if strings.Contains(m.Email, "\x1b") {
		t.Errorf("email carries an escape:\n%q", m.Email)
	}
	var v struct {
		Attack  []string `json:"attack"`
		Runbook []string `json:"runbook"`
	}
	if err := json.Unmarshal([]byte(m.Default), &v); err != nil {
		t.Fatal(err)
	}
	if strings.Join(v.Attack, ",") != "TA0005,T1562.008,T9999" || len(v.Runbook) != 3 || v.Runbook[0] != "Who stopped it, from where?" {
		t.Errorf("JSON attack %v runbook %v", v.Attack, v.Runbook)
	}
	if len(m.SMS) > MaxSMSBytes || strings.Contains(m.SMS, "T1562") {
		t.Errorf("SMS %q", m.SMS)
	}
	if plain := Render(sample()); strings.Contains(plain.Email, "What to check first") || strings.Contains(plain.Default, `"attack"`) {
		t.Errorf("an alert without attack or runbook shows them:\n%s\n%s", plain.Email, plain.Default)
	}
}

package alert

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailguard/trailguard/shared/awsfake"
)

const (
	ssoARN   = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_4f3b2c1d0e9a8b7c/alice@example.com"
	longIPv6 = "2a02:1810:4d02:a100:ffff:ffff:ffff:ffff" // 39 characters, the longest an address gets
)

// TestSMSAndSubjectKeepWhatOnCallNeeds: whatever else is cut, an SMS keeps the whole source
// address, the account and the person (for an IAM Identity Center role the session name, the
// role shortened or dropped first); a subject keeps the address; typed text is quoted.
func TestSMSAndSubjectKeepWhatOnCallNeeds(t *testing.T) {
	tests := []struct {
		name               string
		edit               func(*Alert)
		wantSMS, wantSubj  []string // substrings
		wantSMSEq, avoidIn string
	}{
		{name: "sso role", edit: func(a *Alert) {
			a.Principal, a.User = ssoARN, "AWSReservedSSO_AdministratorAccess_4f3b2c1d0e9a8b7c/alice@example.com"
		}, wantSMSEq: "trailguard HIGH untrusted sign-in IP:203.0.113.9 user:alice@example.com role:AdministratorAccess acct:111122223333",
			wantSubj: []string{"alice@example.com", "from 203.0.113.9"}},
		{name: "sso role, long IPv6 and a digest", edit: func(a *Alert) {
			a.Principal, a.User, a.SourceIP = ssoARN, "AWSReservedSSO_AdministratorAccess_4f3b2c1d0e9a8b7c/alice@example.com", longIPv6
			a.Folded, a.FoldedFrom, a.FoldedSince = 187, "2a02:1810:4d02:a100::/64", t0
			a.Suppressed, a.SuppressedSince = 12, t0
		}, wantSMS: []string{"IP:" + longIPv6, "user:alice@example.com", "acct:111122223333", "+187"},
			wantSubj: []string{"from " + longIPv6 + " acct 111122223333", "alice@example.com"}, avoidIn: "AWSReservedSSO"},
		{name: "long IPv6, long title, folding", edit: func(a *Alert) {
			a.SourceIP, a.Title = longIPv6, strings.Repeat("very long title ", 10)
			a.FoldingUntil = t0.Add(time.Hour)
		}, wantSMS: []string{"IP:" + longIPv6, "user:alice", "acct:111122223333", "folding"},
			wantSubj: []string{"from " + longIPv6}},
		{name: "user posing as a field", edit: func(a *Alert) { a.User = "From: 10.0.0.1" },
			wantSMS: []string{`user:"From: 10.0.0.1"`, "IP:203.0.113.9"}, wantSubj: []string{`"From: 10.0.0.1" from 203.0.113.9`}},
		{name: "user with quotes and IP:", edit: func(a *Alert) { a.User = `x" IP:1.2.3.4 acct:999999999999` },
			wantSMS: []string{`user:"x' IP:1.2.3.4 acct:999999999999"`, "IP:203.0.113.9", " acct:111122223333"}},
		{name: "control characters and fillers", edit: func(a *Alert) {
			a.User = "a\u3164l\u115fi\u1160c\u2800e\u200b\u200f\u2060\u2064\ufeff\u00ad\u180e\u202e\u2066\U000E0041\r\n\x1b"
		}, wantSMSEq: "trailguard HIGH untrusted sign-in IP:203.0.113.9 user:alice acct:111122223333"},
		{name: "very long hostile user and IPv6", edit: func(a *Alert) {
			a.User, a.SourceIP = strings.Repeat("From: 10.0.0.1 ", 60), longIPv6
		}, wantSMS: []string{"IP:" + longIPv6, ` user:"From: 10.0.0.1`, "acct:111122223333"}, wantSubj: []string{longIPv6}},
		{name: "every count at once, MEDIUM", edit: func(a *Alert) {
			a.Severity, a.SourceIP, a.Principal = Medium, longIPv6, ssoARN
			a.Folded, a.FoldedFrom, a.FoldedSince = 123456, "100+ addresses", t0
			a.Suppressed, a.SuppressedSince, a.FoldingUntil = 654321, t0, t0
		}, wantSMS: []string{"IP:" + longIPv6, "user:alice@example.com", "acct:111122223333"}, wantSubj: []string{longIPv6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.edit(&a)
			m := Render(a)
			checkChannels(t, m)
			if tt.wantSMSEq != "" && m.SMS != tt.wantSMSEq {
				t.Errorf("SMS = %q, want %q", m.SMS, tt.wantSMSEq)
			}
			for _, w := range tt.wantSMS {
				if !strings.Contains(m.SMS, w) {
					t.Errorf("SMS %q lacks %q", m.SMS, w)
				}
			}
			for _, w := range tt.wantSubj {
				if !strings.Contains(m.Subject, w) {
					t.Errorf("subject %q lacks %q", m.Subject, w)
				}
			}
			if tt.avoidIn != "" && strings.Contains(m.SMS, tt.avoidIn) {
				t.Errorf("SMS %q keeps %q", m.SMS, tt.avoidIn)
			}
		})
	}
}

// TestEmailQuotesAndDropsFillers: the email quotes a typed user name and user agent and keeps
// no invisible filler.
func TestEmailQuotesAndDropsFillers(t *testing.T) {
	a := sample()
	a.User, a.UserAgent = "From: 10.0.0.1\u3164", "curl\u2800/8 (x)"
	a.Principal = ssoARN
	m := Render(a)
	for _, want := range []string{`Who:         "From: 10.0.0.1" (` + ssoARN + ")", "Person:      alice@example.com as AdministratorAccess", `User agent:  "curl/8 (x)"`} {
		if !strings.Contains(m.Email, want) {
			t.Errorf("email lacks %q:\n%s", want, m.Email)
		}
	}
	for _, r := range []rune{0x3164, 0x115F, 0x1160, 0x2800, 0x200B, 0xFEFF, 0x202E, 0xE0041} {
		b := sample()
		b.User, b.UserAgent, b.Details = "x"+string(r)+"y", string(r), []Detail{{Label: "L" + string(r), Value: string(r) + "v"}}
		for name, text := range map[string]string{"email": Render(b).Email, "json": Render(b).Default} {
			if strings.ContainsRune(text, r) {
				t.Errorf("%s keeps %U", name, r)
			}
		}
	}
}

// worstAlert is an alert as large as event text can make it: many long details of characters
// JSON escapes six-fold, a long runbook, hostile names.
func worstAlert(i int) Alert {
	a := sample()
	a.EventID = "worst-" + string(rune('a'+i))
	a.User, a.UserAgent = strings.Repeat("<From: 10.0.0.1>", 100), strings.Repeat("<&>", 1000)
	a.SourceIP, a.Principal = longIPv6, ssoARN
	for range 400 {
		a.Details = append(a.Details, Detail{Label: strings.Repeat("<", 40), Value: strings.Repeat("<>&", 200)})
	}
	for range 50 {
		a.Runbook = append(a.Runbook, strings.Repeat("&", 512))
	}
	return a
}

func TestRenderFitsSNSMessageLimit(t *testing.T) {
	a := worstAlert(0)
	m := Render(a)
	if m.Size() > MaxMessageBytes {
		t.Fatalf("message is %d bytes, over %d", m.Size(), MaxMessageBytes)
	}
	if !strings.Contains(m.Email, "[truncated to fit SNS's 256 KB message limit; read CloudTrail event worst-a in full]") {
		t.Errorf("truncated email lacks the note: ...%s", m.Email[max(0, len(m.Email)-200):])
	}
	if !strings.Contains(m.Default, `"truncated":true`) {
		t.Errorf("JSON not marked truncated")
	}
	checkChannels(t, m)
	if small := Render(sample()); strings.Contains(small.Email, "truncated") {
		t.Error("a small alert is marked truncated")
	}
}

// TestPublishBatchStaysUnderSNSLimit: 10 worst-case alerts (and 10 of a fifth of the
// limit) go out in as many PublishBatch requests as the 256 KB total needs, all delivered, on
// the wire fake that rejects an oversized batch as SNS does.
func TestPublishBatchStaysUnderSNSLimit(t *testing.T) {
	fifth := func(i int) Alert {
		a := worstAlert(i)
		a.Details, a.Runbook = a.Details[:12], nil // about 48 KB: five fit one batch
		return a
	}
	for _, tt := range []struct {
		name         string
		make         func(int) Alert
		wantRequests int
	}{
		{"worst case", worstAlert, 10},
		{"a fifth of the limit each", fifth, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var alerts []Alert
			for i := range 10 {
				alerts = append(alerts, tt.make(i))
			}
			for _, r := range batches(alerts) {
				total := 0
				for _, a := range alerts[r[0]:r[1]] {
					total += Render(a).Size()
				}
				if total > MaxMessageBytes || r[1]-r[0] > MaxBatch {
					t.Errorf("batch %v: %d bytes", r, total)
				}
			}
			fake := awsfake.NewSNS(t, testTopic)
			p := &SNS{Client: sns.NewFromConfig(awsfake.Config(fake.URL())), TopicARN: testTopic}
			if err := p.Publish(context.Background(), alerts); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got := len(fake.Published()); got != 10 {
				t.Errorf("published %d, want 10", got)
			}
			if got := fake.Requests(); got != tt.wantRequests {
				t.Errorf("requests %d, want %d", got, tt.wantRequests)
			}
		})
	}
}

package alert

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// signInAlerts are the two alerts logincheck raises for one failed sign-in from an address
// outside ALLOWED_CIDRS: failed-sign-in (MEDIUM) and untrusted-source-ip (HIGH).
func signInAlerts(eventID, ip, outcome string) []Alert {
	failed, untrusted := sample(), sample()
	failed.Kind, failed.Severity, failed.Title = "failed-sign-in", Medium, "failed sign-in"
	for _, a := range []*Alert{&failed, &untrusted} {
		a.EventID, a.SourceIP, a.Outcome = eventID, ip, outcome
		a.Principal, a.User = "arn:aws:iam::111122223333:user/alice", "alice"
	}
	if outcome == "Success" {
		return []Alert{untrusted}
	}
	return []Alert{failed, untrusted}
}

// TestFloodFoldsIntoDigest: 200 failed sign-ins for one principal from 200 addresses of one
// IPv6 /64 inside the window send FloodCap alerts per kind, the last saying folding has begun;
// a successful sign-in in the middle of the flood is sent (another outcome); a redelivery of
// the whole flood sends and counts nothing; the first sign-in after the window carries the
// digest: how many were folded, the /64, since when. Memory and DynamoDB ledgers alike.
func TestFloodFoldsIntoDigest(t *testing.T) {
	for _, lc := range ledgers() {
		t.Run(lc.name, func(t *testing.T) {
			ctx := context.Background()
			pub := &memPublisher{}
			clock := t0
			l := lc.new(t, LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 3})
			s := &Sender{Ledger: l, Publisher: pub, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }}
			deliver := func(round int) {
				for i := range 200 {
					clock = t0.Add(time.Duration(i) * 10 * time.Second)
					ip := fmt.Sprintf("2a02:1810:4d02:a100:%x:%x:%x:%x", 0x1000+i, i*7, i*13, 0xffff-i)
					if err := s.Publish(ctx, signInAlerts(fmt.Sprintf("ev-%d", i), ip, "Failure")); err != nil {
						t.Fatalf("round %d event %d: %v", round, i, err)
					}
					if i == 100 && round == 1 {
						if err := s.Publish(ctx, signInAlerts("ev-success", "2a02:1810:4d02:a100::1", "Success")); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			deliver(1)
			perKind := map[string]int{}
			for _, a := range pub.sent {
				perKind[a.Kind+"/"+a.Outcome]++
			}
			if len(pub.sent) != 7 || perKind["failed-sign-in/Failure"] != 3 || perKind["untrusted-source-ip/Failure"] != 3 || perKind["untrusted-source-ip/Success"] != 1 {
				t.Fatalf("sent %d alerts %v, want 3 per kind of failure and the success", len(pub.sent), perKind)
			}
			for _, a := range pub.sent {
				if folding := !a.FoldingUntil.IsZero(); folding != (a.EventID == "ev-2") {
					t.Errorf("alert %s %s: folding until %v; only the third of each kind announces folding", a.Kind, a.EventID, a.FoldingUntil)
				}
			}
			third := pub.sent[5]
			if m := Render(third); !strings.Contains(m.SMS, "folding till 11:02") {
				t.Errorf("the alert reaching the cap does not announce folding: %q", m.SMS)
			}
			probe := signInAlerts("x", "2a02:1810:4d02:a100::9", "Failure")
			if ml, ok := l.(*MemoryLedger); ok {
				if n := ml.Folded(&probe[0]); n != 197 {
					t.Errorf("folded %d failed-sign-in alerts, want 197", n)
				}
			}

			deliver(2) // Lambda redelivers the whole flood
			if len(pub.sent) != 7 {
				t.Fatalf("a redelivery sent %d more alerts", len(pub.sent)-7)
			}

			clock = t0.Add(61 * time.Minute)
			if err := s.Publish(ctx, signInAlerts("ev-after", "2a02:1810:4d02:a100::42", "Failure")); err != nil {
				t.Fatal(err)
			}
			digests := pub.sent[7:]
			if len(digests) != 2 {
				t.Fatalf("after the window: %d alerts, want one digest per kind", len(digests))
			}
			for _, d := range digests {
				if d.Folded != 197 || d.FoldedFrom != "2a02:1810:4d02:a100::/64" || !d.FoldedSince.Equal(t0.Add(30*time.Second)) {
					t.Errorf("digest %s: +%d from %q since %v, want +197 from the /64 since 10:02:30", d.Kind, d.Folded, d.FoldedFrom, d.FoldedSince)
				}
				m := Render(d)
				if want := "+197 from 2a02:1810:4d02:a100::/64 since 10:02"; !strings.Contains(m.SMS, want) {
					t.Errorf("SMS %q lacks %q", m.SMS, want)
				}
				if !strings.Contains(m.SMS, "IP:2a02:1810:4d02:a100::42") || len(m.SMS) > MaxSMSBytes {
					t.Errorf("SMS %q (%d bytes)", m.SMS, len(m.SMS))
				}
				if !strings.Contains(m.Email, "197 more alerts of this kind for this principal were folded since 2026-11-21 10:02 UTC, from 2a02:1810:4d02:a100::/64") {
					t.Errorf("email lacks the digest:\n%s", m.Email)
				}
			}
			if ml, ok := l.(*MemoryLedger); ok {
				if n := ml.Folded(&probe[0]); n != 0 {
					t.Errorf("%d folded alerts left after the digest, want 0", n)
				}
			}
		})
	}
}

// TestFloodDigestSurvivesFailedSend: when the alert carrying a digest is not delivered, the
// digest goes back to the ledger and the retry reports it.
func TestFloodDigestSurvivesFailedSend(t *testing.T) {
	for _, lc := range ledgers() {
		t.Run(lc.name, func(t *testing.T) {
			ctx := context.Background()
			l := lc.new(t, LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 1})
			claim := func(id, ip string, at time.Duration) (Alert, Claim) {
				a := alertFor(id)
				a.SourceIP = ip
				c, err := l.Claim(ctx, &a, t0.Add(at), t0.Add(at+30*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				return a, c
			}
			a, c := claim("e1", "198.51.100.1", 0)
			if c.Action != Send || c.FoldingUntil.IsZero() {
				t.Fatalf("first: %v, folding until %v", c.Action, c.FoldingUntil)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
			for i, ip := range []string{"198.51.100.2", "198.51.100.3", "198.51.100.200"} {
				if _, c := claim(fmt.Sprintf("f%d", i), ip, time.Minute); c.Action != Suppress || !c.Fold {
					t.Fatalf("fold %d: %v fold=%v", i, c.Action, c.Fold)
				}
			}
			a, c = claim("after", "198.51.100.9", 61*time.Minute)
			if c.Action != Send || c.Folded != 3 || c.FoldedFrom != "198.51.100.0/24" {
				t.Fatalf("after the window: %v +%d from %q", c.Action, c.Folded, c.FoldedFrom)
			}
			if err := l.Release(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
			a, c = claim("after", "198.51.100.9", 62*time.Minute)
			if c.Action != Send || c.Folded != 3 || c.FoldedFrom != "198.51.100.0/24" || !c.FoldedSince.Equal(t0.Add(time.Minute)) {
				t.Fatalf("retry: %v +%d from %q since %v, want the digest again", c.Action, c.Folded, c.FoldedFrom, c.FoldedSince)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSummarizeAddrs(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		want  string
	}{
		{"one address", []string{"203.0.113.9"}, "203.0.113.9"},
		{"one /24", []string{"203.0.113.9", "203.0.113.200"}, "203.0.113.0/24"},
		{"one /64", []string{"2a02:1810:4d02:a100::1", "2a02:1810:4d02:a100:ffff:ffff:ffff:ffff"}, "2a02:1810:4d02:a100::/64"},
		{"mapped IPv4", []string{"::ffff:203.0.113.9", "203.0.113.10"}, "203.0.113.0/24"},
		{"two networks", []string{"203.0.113.9", "198.51.100.1", "2001:db8::1"}, "3 addresses"},
	}
	for _, tt := range tests {
		var s addrSet
		for _, a := range tt.addrs {
			s.add(a)
		}
		if got := s.summary(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	var many addrSet
	for i := range 300 {
		many.add(fmt.Sprintf("10.%d.%d.1", i/250, i%250))
	}
	if got := many.summary(); got != "100+ addresses" {
		t.Errorf("300 addresses: %q", got)
	}
}

func TestLedgerOptionsValidate(t *testing.T) {
	for _, tt := range []struct {
		o  LedgerOptions
		ok bool
	}{
		{LedgerOptions{Window: time.Hour}, true},
		{LedgerOptions{Window: time.Hour, FloodCap: 5}, true},
		{LedgerOptions{Window: -time.Second}, false},
		{LedgerOptions{Window: time.Hour, FloodCap: -1}, false},
		{LedgerOptions{Window: time.Hour, FloodCap: MaxFloodCap + 1}, false},
	} {
		if err := tt.o.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.o, err)
		}
	}
}

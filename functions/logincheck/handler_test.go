package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/ipallow"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/trail"
)

func newHandler(t testing.TB, pub publisher) *Handler {
	t.Helper()
	allow, err := ipallow.Parse(localDefaults["ALLOWED_CIDRS"], "")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{
		Allow: allow, FailedSignIn: true, RootSignIn: true, SignInWithoutMFA: true,
		Checked: map[string]bool{}, Alerts: pub,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: &metrics.Counters{},
	}
	for _, e := range strings.Split("ConsoleLogin,UserAuthentication,CredentialVerification,SwitchRole", ",") {
		h.Checked[e] = true
	}
	return h
}

// TestSampleEvents: every sample event raises exactly the kinds its README promises.
func TestSampleEvents(t *testing.T) {
	tests := []struct {
		file      string
		wantKinds []string
		wantErr   bool
	}{
		{file: "trusted-ipv4.json"},
		{file: "untrusted-ipv4.json", wantKinds: []string{KindUntrustedSource}},
		{file: "untrusted-ipv4.redelivered.json", wantKinds: []string{KindUntrustedSource}},
		{file: "untrusted-ipv4.repeat.json", wantKinds: []string{KindUntrustedSource}},
		{file: "ipv6.json", wantKinds: []string{KindUntrustedSource}},
		{file: "ipv6-trusted.json"},
		{file: "ipv4-mapped-ipv6.json"},
		{file: "failed-sign-in.json", wantKinds: []string{KindFailedSignIn}},
		{file: "root-sign-in.json", wantKinds: []string{KindRootSignIn}},
		{file: "root-without-mfa.json", wantKinds: []string{KindUntrustedSource, KindRootSignIn, KindWithoutMFA}},
		{file: "without-mfa.json", wantKinds: []string{KindWithoutMFA}},
		{file: "sso-federated.json"},
		{file: "identity-center-user.json", wantKinds: []string{KindUntrustedSource}},
		{file: "aws-internal.json", wantKinds: []string{KindUntrustedSource}},
		{file: "checkmfa.json"},
		{file: "untrusted-numeric-user-agent.json", wantKinds: []string{KindUntrustedSource}},
		{file: "unreadable-source-address.json", wantKinds: []string{KindUnreadable}},
		{file: "export-time-no-event-id.json", wantKinds: []string{KindUntrustedSource}},
		{file: "failure-then-success.1-failure.json", wantKinds: []string{KindUntrustedSource, KindFailedSignIn}},
		{file: "failure-then-success.2-success.json", wantKinds: []string{KindUntrustedSource}},
		{file: "malformed-missing-detail.json", wantErr: true},
	}
	entries, _ := os.ReadDir(filepath.Join("..", "..", "events", "logincheck"))
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			rec := &alerttest.Recorder{}
			err := newHandler(t, rec).Handle(context.Background(), localtest.Event(t, "logincheck", tt.file))
			if tt.wantErr {
				if !errors.Is(err, trail.ErrMalformed) {
					t.Fatalf("Handle = %v, want a malformed-event error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if kinds := rec.Kinds(); !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("kinds = %v, want %v", kinds, tt.wantKinds)
			}
		})
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !covered[e.Name()] {
			t.Errorf("events/logincheck/%s has no expectation here", e.Name())
		}
	}
}

func TestAlertContent(t *testing.T) {
	rec := &alerttest.Recorder{}
	if err := newHandler(t, rec).Handle(context.Background(), localtest.Event(t, "logincheck", "untrusted-ipv4.json")); err != nil {
		t.Fatal(err)
	}
	a := rec.Alerts()[0]
	if a.Severity != alert.High || a.SourceIP != "203.0.113.9" || a.User != "alice" || a.Account != "111122223333" ||
		a.EventName != "ConsoleLogin" || a.EventID == "" || a.EventTime.IsZero() || !strings.HasPrefix(a.Principal, "arn:aws:iam::111122223333:user/") {
		t.Errorf("alert = %+v", a)
	}
	if got := alert.Render(a).SMS; got != "trailguard HIGH untrusted sign-in IP:203.0.113.9 user:alice acct:111122223333" {
		t.Errorf("SMS = %q", got)
	}
}

// TestKindsSwitchOff: each optional kind can be switched off; the untrusted-source check
// cannot.
func TestKindsSwitchOff(t *testing.T) {
	rec := &alerttest.Recorder{}
	h := newHandler(t, rec)
	h.FailedSignIn, h.RootSignIn, h.SignInWithoutMFA = false, false, false
	for _, f := range []string{"root-without-mfa.json", "failed-sign-in.json", "without-mfa.json"} {
		if err := h.Handle(context.Background(), localtest.Event(t, "logincheck", f)); err != nil {
			t.Fatal(err)
		}
	}
	if kinds := rec.Kinds(); len(kinds) != 1 || kinds[0] != KindUntrustedSource {
		t.Errorf("kinds = %v, want only the untrusted source", kinds)
	}
}

func TestPublishFailureFailsTheEvent(t *testing.T) {
	h := newHandler(t, &alerttest.Recorder{Err: errors.New("sns down")})
	if err := h.Handle(context.Background(), localtest.Event(t, "logincheck", "untrusted-ipv4.json")); err == nil {
		t.Fatal("publish failed but Handle returned nil: the alert would be lost")
	}
}

// TestUnreadableSignIns: a sign-in whose address, time, caller or outcome cannot be read is
// never rejected: an unreadable-sign-in alert names what could not be read, the address is
// still checked when it can be, and a field no check reads changes nothing.
func TestUnreadableSignIns(t *testing.T) {
	valid := localtest.Event(t, "logincheck", "untrusted-ipv4.json")
	tests := []struct {
		name       string
		edit       func(map[string]any)
		wantKinds  []string
		wantDetail string // in the unreadable-sign-in alert's Unreadable line
	}{
		{"numeric userAgent: checked on its address", func(m map[string]any) { detail(m)["userAgent"] = 5 }, []string{KindUntrustedSource}, ""},
		{"tlsDetails a string", func(m map[string]any) { detail(m)["tlsDetails"] = "x" }, []string{KindUntrustedSource}, ""},
		{"no event id: derived", func(m map[string]any) { delete(detail(m), "eventID") }, []string{KindUntrustedSource}, ""},
		{"export-form time", func(m map[string]any) { detail(m)["eventTime"] = "2026-11-20 21:47:36.250" }, []string{KindUntrustedSource}, ""},
		{"no source address", func(m map[string]any) { delete(detail(m), "sourceIPAddress") }, []string{KindUnreadable}, "detail.sourceIPAddress: missing"},
		{"mistyped source address", func(m map[string]any) { detail(m)["sourceIPAddress"] = 203 }, []string{KindUnreadable}, "detail.sourceIPAddress: of an unexpected JSON type"},
		{"mistyped address and user agent", func(m map[string]any) {
			detail(m)["sourceIPAddress"] = []any{"203.0.113.9"}
			detail(m)["userAgent"] = 5
		},
			[]string{KindUnreadable}, "detail.sourceIPAddress"},
		{"no event time", func(m map[string]any) { delete(detail(m), "eventTime") }, []string{KindUnreadable, KindUntrustedSource}, "detail.eventTime: missing"},
		{"impossible event time", func(m map[string]any) { detail(m)["eventTime"] = "2026-02-31T10:00:00Z" }, []string{KindUnreadable, KindUntrustedSource}, "detail.eventTime"},
		{"no identity", func(m map[string]any) { delete(detail(m), "userIdentity") }, []string{KindUnreadable, KindUntrustedSource}, "detail.userIdentity"},
		{"userIdentity a string", func(m map[string]any) { detail(m)["userIdentity"] = "alice" }, []string{KindUnreadable, KindUntrustedSource}, "detail.userIdentity"},
		{"no identity type", func(m map[string]any) { delete(detail(m)["userIdentity"].(map[string]any), "type") }, []string{KindUnreadable, KindUntrustedSource}, "detail.userIdentity.type: missing"},
		{"mistyped identity type", func(m map[string]any) { detail(m)["userIdentity"].(map[string]any)["type"] = []any{"Root"} }, []string{KindUnreadable, KindUntrustedSource}, "detail.userIdentity.type"},
		{"mistyped result", func(m map[string]any) { detail(m)["responseElements"] = map[string]any{"ConsoleLogin": true} }, []string{KindUnreadable, KindUntrustedSource}, "responseElements.ConsoleLogin"},
		{"additionalEventData a number", func(m map[string]any) { detail(m)["additionalEventData"] = 7 }, []string{KindUnreadable, KindUntrustedSource}, "additionalEventData"},
		{"eventName mistyped", func(m map[string]any) { detail(m)["eventName"] = 5 }, []string{KindUnreadable, KindUntrustedSource}, "detail.eventName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(valid, &m); err != nil {
				t.Fatal(err)
			}
			tt.edit(m)
			raw, _ := json.Marshal(m)
			rec := &alerttest.Recorder{}
			if err := newHandler(t, rec).Handle(context.Background(), raw); err != nil {
				t.Fatalf("Handle = %v: a sign-in must be reported on, not rejected", err)
			}
			if kinds := rec.Kinds(); !slices.Equal(kinds, tt.wantKinds) {
				t.Fatalf("kinds %v, want %v", kinds, tt.wantKinds)
			}
			for _, a := range rec.Alerts() {
				if a.EventID == "" || a.EventName != "ConsoleLogin" && tt.name != "eventName mistyped" {
					t.Errorf("alert without what could be read: %+v", a)
				}
				if a.Kind != KindUnreadable {
					continue
				}
				if a.Severity != alert.High {
					t.Errorf("unreadable-sign-in is %s, want HIGH", a.Severity)
				}
				var line string
				for _, d := range a.Details {
					if d.Label == "Unreadable" {
						line = d.Value
					}
				}
				if !strings.Contains(line, tt.wantDetail) {
					t.Errorf("Unreadable %q does not name %s", line, tt.wantDetail)
				}
			}
		})
	}
}

func detail(m map[string]any) map[string]any { return m["detail"].(map[string]any) }

// TestCorpus: every real-shape record, wrapped as EventBridge delivers it, goes through the
// checker without a crash, and a checked sign-in with a non-IP or unlisted source always alerts
// (never fails open).
func TestCorpus(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "corpus", "cloudtrail-records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := newHandler(t, nil)
	h.Checked["ConsoleLogin"] = true
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	signIns := 0
	for line := 1; sc.Scan(); line++ {
		var c struct {
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		rec := &alerttest.Recorder{}
		h.Alerts = rec
		env := `{"version":"0","source":"aws.signin","detail-type":"AWS Console Sign In via CloudTrail","detail":` + string(c.Record) + `}`
		err := h.Handle(context.Background(), []byte(env))
		if err != nil {
			t.Errorf("line %d: %v: a sign-in record must be reported on, never rejected", line, err)
			continue
		}
		r, _ := trail.DecodeRecord(c.Record)
		if r == nil || !h.Checked[r.EventName] {
			continue
		}
		signIns++
		untrusted := r.SourceIPAddress != "" && !h.Allow.Allowed(r.SourceIPAddress)
		raised := slices.Contains(rec.Kinds(), KindUntrustedSource)
		if untrusted != raised {
			t.Errorf("line %d: source %q untrusted=%v but alert raised=%v", line, r.SourceIPAddress, untrusted, raised)
		}
		if r.SourceIPAddress == "" && !slices.Contains(rec.Kinds(), KindUnreadable) {
			t.Errorf("line %d: no source address and no unreadable-sign-in alert", line)
		}
	}
	if signIns < 10 {
		t.Errorf("only %d checked sign-ins in the corpus: the test checks too little", signIns)
	}
}

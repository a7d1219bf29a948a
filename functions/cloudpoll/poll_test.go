package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/cloudfake"
	"github.com/trailguard/trailguard/shared/cloudsign"
	"github.com/trailguard/trailguard/shared/ipallow"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/signin"
)

var (
	goodKey = cloudsign.Credentials{KeyID: "KEYID-READER", Secret: "reader-secret"}
	badKey  = cloudsign.Credentials{KeyID: "KEYID-READER", Secret: "rotated-away"}
	// The samples lie between 12:26:40 and 12:31:01 UTC on 2026-11-20.
	firstPoll  = time.Date(2026, 11, 20, 12, 29, 30, 0, time.UTC)
	secondPoll = time.Date(2026, 11, 20, 12, 40, 0, 0, time.UTC)
)

const project = "0123456789abcdef0123456789abcdef"

// fakes starts the three fakes loaded with the sample pages and returns one source per cloud
// (secret ARN arn:…:<cloud>) and the number of sample events per cloud.
type fakes struct {
	huawei  *cloudfake.Huawei
	alibaba *cloudfake.Alibaba
	tencent *cloudfake.Tencent
	sources []Source
	events  map[string]int
}

func startFakes(t *testing.T) *fakes {
	t.Helper()
	f := &fakes{huawei: cloudfake.NewHuawei(t, goodKey), alibaba: cloudfake.NewAlibaba(t, goodKey), tencent: cloudfake.NewTencent(t, goodKey),
		events: map[string]int{}}
	f.huawei.ProjectID = project
	for cloud, add := range map[string]func([]byte) error{"huawei": f.huawei.AddPage, "alibaba": f.alibaba.AddPage, "tencent": f.tencent.AddPage} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "events", "cloudpoll", cloud, "*.json"))
		for _, file := range files {
			page, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := add(page); err != nil {
				t.Fatal(err)
			}
			var p struct {
				Traces, Events []json.RawMessage
				Response       struct{ Events []json.RawMessage }
			}
			_ = json.Unmarshal(page, &p)
			f.events[cloud] += len(p.Traces) + len(p.Events) + len(p.Response.Events)
		}
	}
	srcs := fmt.Sprintf(`[
		{"name":"hw-central","cloud":"huawei","endpoint":%q,"region":"cn-north-4","project_id":%q,"secret_arn":"arn:huawei"},
		{"name":"ali-main","cloud":"alibaba","endpoint":%q,"secret_arn":"arn:alibaba"},
		{"name":"tc-main","cloud":"tencent","endpoint":%q,"region":"ap-guangzhou","secret_arn":"arn:tencent"}]`,
		f.huawei.URL(), project, f.alibaba.URL(), f.tencent.URL())
	var err error
	if f.sources, err = ParseSources(srcs); err != nil {
		t.Fatal(err)
	}
	return f
}

// rig is a handler wired to the fakes, with a settable clock and recorded sleeps.
type rig struct {
	h       *Handler
	now     time.Time
	sleeps  []time.Duration
	metrics *metrics.Counters
	alerts  *alerttest.Recorder
	mu      sync.Mutex
}

func newRig(t *testing.T, sources []Source, secrets Secrets, pub publisher) *rig {
	t.Helper()
	allow, err := ipallow.Parse("198.51.100.0/24", "")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{metrics: &metrics.Counters{Function: "cloudpoll"}, alerts: &alerttest.Recorder{}}
	if pub == nil {
		pub = r.alerts
	}
	r.h = &Handler{
		Sources: sources, Fetch: &Client{HTTP: http.DefaultClient, Now: time.Now}, Secrets: secrets, State: &MemoryState{},
		SignIn: signin.Checker{Allow: allow, FailedSignIn: true, RootSignIn: true, SignInWithoutMFA: true},
		Alerts: pub, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: r.metrics,
		Now: func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now },
		Sleep: func(_ context.Context, d time.Duration) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.sleeps = append(r.sleeps, d)
			return nil
		},
		Lookback: 15 * time.Minute, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second, Margin: time.Second, SeenFor: 48 * time.Hour,
	}
	return r
}

func (r *rig) pollAt(t *testing.T, at time.Time) error {
	t.Helper()
	r.mu.Lock()
	r.now = at
	r.mu.Unlock()
	return r.h.HandleSchedule(context.Background(), nil)
}

var allSecrets = MapSecrets{"arn:huawei": goodKey, "arn:alibaba": goodKey, "arn:tencent": goodKey}

// TestOverlappingPollsCountEachEventOnce: the second window starts the cloud's delay before
// the first ended, so events near the edge are read twice; each is processed (counted,
// checked, alerted on) once.
func TestOverlappingPollsCountEachEventOnce(t *testing.T) {
	f := startFakes(t)
	for _, src := range f.sources {
		t.Run(src.Cloud, func(t *testing.T) {
			r := newRig(t, []Source{src}, allSecrets, nil)
			if err := r.pollAt(t, firstPoll); err != nil {
				t.Fatal(err)
			}
			first := int(r.metrics.Get("Events"))
			if first == 0 || first == f.events[src.Cloud] {
				t.Fatalf("first poll read %d of %d events; the test wants it to read some", first, f.events[src.Cloud])
			}
			if err := r.pollAt(t, secondPoll); err != nil {
				t.Fatal(err)
			}
			if got := int(r.metrics.Get("Events." + src.Cloud)); got != f.events[src.Cloud] {
				t.Errorf("%d events counted, want %d", got, f.events[src.Cloud])
			}
			if r.metrics.Get("EventsRepeated") == 0 {
				t.Error("the windows did not overlap")
			}
			seen := map[string]bool{}
			for _, a := range r.alerts.Alerts() {
				k := a.Kind + "#" + a.EventID
				if seen[k] {
					t.Errorf("%s alerted twice", k)
				}
				seen[k] = true
				if a.Cloud != src.Cloud {
					t.Errorf("%s: cloud %q", k, a.Cloud)
				}
			}
			if len(seen) == 0 {
				t.Error("no alerts")
			}
		})
	}
}

// TestThrottlingRetried: throttled requests are retried after growing waits, and the poll
// completes.
func TestThrottlingRetried(t *testing.T) {
	f := startFakes(t)
	throttle := map[string]func(int){"huawei": f.huawei.ThrottleNext, "alibaba": f.alibaba.ThrottleNext, "tencent": f.tencent.ThrottleNext}
	for _, src := range f.sources {
		t.Run(src.Cloud, func(t *testing.T) {
			r := newRig(t, []Source{src}, allSecrets, nil)
			throttle[src.Cloud](3)
			if err := r.pollAt(t, secondPoll); err != nil {
				t.Fatal(err)
			}
			if got := int(r.metrics.Get("Events")); got != f.events[src.Cloud] {
				t.Errorf("%d events, want %d", got, f.events[src.Cloud])
			}
			if want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}; !slices.Equal(r.sleeps, want) {
				t.Errorf("waits %v, want %v", r.sleeps, want)
			}
		})
	}
}

// TestThrottlingPastTheDeadline: when the invocation has no time left for the next wait, the
// source fails (the invocation's error) and its cursor stays, so the next poll reads it all.
func TestThrottlingPastTheDeadline(t *testing.T) {
	f := startFakes(t)
	src := f.sources[1]
	r := newRig(t, []Source{src}, allSecrets, nil)
	f.alibaba.ThrottleNext(100)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	r.h.Now = func() time.Time { return time.Now() }
	r.h.Margin = 2 * time.Hour // the deadline is always too near
	if err := r.h.HandleSchedule(ctx, nil); err == nil {
		t.Fatal("no error")
	}
	if c, _ := r.h.State.Cursor(ctx, src.Name); !c.IsZero() {
		t.Errorf("cursor advanced to %s", c)
	}
	if len(r.sleeps) != 0 {
		t.Errorf("waited %v past the deadline", r.sleeps)
	}
}

// TestRefusedCredentials: a source whose key is refused raises one operator alert (also over
// two polls, through the alert layer's dedupe), and the other sources are still polled.
func TestRefusedCredentials(t *testing.T) {
	f := startFakes(t)
	for _, bad := range []string{"huawei", "alibaba", "tencent"} {
		t.Run(bad, func(t *testing.T) {
			secrets := MapSecrets{}
			for k, v := range allSecrets {
				secrets[k] = v
			}
			secrets["arn:"+bad] = badKey
			rec := &alerttest.Recorder{}
			sender := &alert.Sender{Ledger: &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 100}},
				Publisher: rec, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			r := newRig(t, f.sources, secrets, sender)
			for _, at := range []time.Time{firstPoll, secondPoll} {
				if err := r.pollAt(t, at); err != nil {
					t.Fatalf("poll at %s: %v", at, err)
				}
			}
			var refused []alert.Alert
			for _, a := range rec.Alerts() {
				if a.Kind == KindSourceRefused {
					refused = append(refused, a)
				}
			}
			if len(refused) != 1 || refused[0].Cloud != bad {
				t.Fatalf("refused alerts %+v, want one for %s", refused, bad)
			}
			want := 0
			for cloud, n := range f.events {
				if cloud != bad {
					want += n
					if got := int(r.metrics.Get("Events." + cloud)); got != n {
						t.Errorf("%s: %d events, want %d", cloud, got, n)
					}
				}
			}
			if got := int(r.metrics.Get("Events")); got != want {
				t.Errorf("%d events, want %d", got, want)
			}
		})
	}
}

// TestMissingSecret: a secret that cannot be read is the same operator alert, not a crash.
func TestMissingSecret(t *testing.T) {
	f := startFakes(t)
	r := newRig(t, f.sources[:1], MapSecrets{}, nil)
	if err := r.pollAt(t, firstPoll); err != nil {
		t.Fatal(err)
	}
	if got := r.alerts.Kinds(); !slices.Equal(got, []string{KindSourceRefused}) {
		t.Errorf("alerts %v", got)
	}
}

// TestLocalPages: every sample page through the local mode's path; per event, the alert kinds.
func TestLocalPages(t *testing.T) {
	want := map[string][]string{
		// huawei
		"3c2b1a09-4c1f-11f1-9d2a-286ed488ce70": {"untrusted-source-ip"},                                           // untrusted sign-out
		"2b1a0f9e-4c1f-11f1-9d2a-286ed488ce70": {"untrusted-source-ip"},                                           // untrusted sign-in (MFA)
		"1a0f9e8d-4c1f-11f1-9d2a-286ed488ce70": {"console-auth-failure", "failed-sign-in", "untrusted-source-ip"}, // failed
		"0f9e8d7c-4c1f-11f1-9d2a-286ed488ce70": {"root-account-usage", "root-sign-in", "untrusted-source-ip"},
		// alibaba
		"A6F0B1C2-D3E4-4F50-9162-83A4B5C6D7E8": {"untrusted-source-ip"},
		"95EFA0B1-C2D3-4E4F-8051-72939A4B5C6D": {"untrusted-source-ip"},
		"84DE9FA0-B1C2-4D3E-9F40-6182938A4B5C": {"console-auth-failure", "failed-sign-in", "untrusted-source-ip"},
		"73CD8E9F-A0B1-4C2D-8E3F-5071829A3B4C": {"console-sign-in-without-mfa", "root-account-usage", "root-sign-in", "sign-in-without-mfa", "untrusted-source-ip"},
		// tencent
		"c3e0b1f9-6b3e-11f1-8a2c-525400e1c2d3": {"untrusted-source-ip"},
		"b2dfa0e8-6b3e-11f1-8a2c-525400e1c2d3": {"untrusted-source-ip"},
		"a1cef9d7-6b3e-11f1-8a2c-525400e1c2d3": {"console-auth-failure", "failed-sign-in", "untrusted-source-ip"},
		"90bde8c6-6b3e-11f1-8a2c-525400e1c2d3": {"root-account-usage", "root-sign-in", "untrusted-source-ip"},
		// broken CloudAuditEvent, allowlisted address: checked from the wrapper, type unknown
		"8facd7b5-6b3e-11f1-8a2c-525400e1c2d3": {"unreadable-sign-in"},
	}
	got := map[string][]string{}
	for _, cloud := range []string{"huawei", "alibaba", "tencent"} {
		r := newRig(t, nil, nil, nil)
		r.h.Rules = testDetector(t)
		files, _ := filepath.Glob(filepath.Join("..", "..", "events", "cloudpoll", cloud, "*.json"))
		for _, file := range files {
			page, _ := os.ReadFile(file)
			if err := r.h.HandlePage(cloud, "cn-north-4")(context.Background(), page); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
		}
		for _, a := range r.alerts.Alerts() {
			got[a.EventID] = append(got[a.EventID], a.Kind)
		}
	}
	for id, kinds := range got {
		sort.Strings(kinds)
		if !slices.Equal(kinds, want[id]) {
			t.Errorf("%s: alerts %v, want %v", id, kinds, want[id])
		}
	}
	for id := range want {
		if _, ok := got[id]; !ok {
			t.Errorf("%s: no alert, want %v", id, want[id])
		}
	}
}

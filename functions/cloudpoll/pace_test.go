package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// simClock is a simulated clock: Sleep advances it instead of waiting.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *simClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

// perSecond counts events by the simulated second they happened in.
type perSecond struct {
	mu sync.Mutex
	n  map[string]map[int64]int
}

func (p *perSecond) add(key string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]map[int64]int{}
	}
	if p.n[key] == nil {
		p.n[key] = map[int64]int{}
	}
	p.n[key][at.Unix()]++
}

// check fails when a key had more than limit events in one second, or fewer than want in all.
func (p *perSecond) check(t *testing.T, limit, want int) {
	t.Helper()
	for key, secs := range p.n {
		total := 0
		for sec, n := range secs {
			total += n
			if n > limit {
				t.Errorf("%s: %d requests in simulated second %d, want at most %d", key, n, sec, limit)
			}
		}
		if total < want {
			t.Errorf("%s: %d requests, want %d", key, total, want)
		}
	}
}

func TestPacerKeepsTheRate(t *testing.T) {
	tests := []struct {
		name     string
		rate     float64
		burst    int
		keys     []string
		requests int
		limit    int // per key and simulated second
	}{
		{"alibaba 2/s", 2, 1, []string{"ali-main"}, 25, 2},
		{"two sources do not share a bucket", 2, 1, []string{"ali-main", "ali-other"}, 25, 2},
		{"burst 3 at 1/s", 1, 3, []string{"x"}, 20, 3},
		{"20/s", 20, 1, []string{"tc-main"}, 200, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
			p := &Pacer{Rate: tt.rate, Burst: tt.burst, Now: clock.Now, Sleep: clock.Sleep}
			var count perSecond
			for i := range tt.requests {
				key := tt.keys[i%len(tt.keys)]
				if err := p.Wait(context.Background(), key); err != nil {
					t.Fatal(err)
				}
				count.add(key, clock.Now())
			}
			count.check(t, tt.limit, tt.requests/len(tt.keys))
		})
	}
}

func TestNilPacerDoesNotWait(t *testing.T) {
	var p *Pacer
	if err := p.Wait(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
}

// clockedTransport counts the requests reaching the server per simulated second.
type clockedTransport struct {
	clock *simClock
	count *perSecond
}

func (c clockedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.count.add(r.URL.Host, c.clock.Now())
	return http.DefaultTransport.RoundTrip(r)
}

// TestAlibabaPollPaced: a poll reading many pages of ActionTrail, throttled twice on the
// way, sends at most 2 requests in any simulated second.
func TestAlibabaPollPaced(t *testing.T) {
	f := startFakes(t)
	for i := range 180 {
		at := time.Date(2026, 11, 20, 12, 20, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
		ev := fmt.Sprintf(`{"eventId":"GEN-%03d","eventName":"DescribeInstances","eventRW":"Read","eventTime":%q,
			"acsRegion":"cn-hangzhou","sourceIpAddress":"198.51.100.7","userIdentity":{"type":"ram-user","principalId":"2000000000000001","accountId":"1000000000000001","userName":"reader"}}`,
			i, at.Format(time.RFC3339))
		if err := f.alibaba.Add([]byte(ev)); err != nil {
			t.Fatal(err)
		}
	}
	f.alibaba.ThrottleNext(2)
	clock := &simClock{t: secondPoll}
	var count perSecond
	r := newRig(t, f.sources[1:2], allSecrets, nil)
	r.h.Fetch = &Client{HTTP: &http.Client{Transport: clockedTransport{clock: clock, count: &count}}, Now: time.Now,
		Pace: NewPacers(clock.Now, clock.Sleep)}
	if err := r.pollAt(t, secondPoll); err != nil {
		t.Fatal(err)
	}
	if got, want := int(r.metrics.Get("Events")), 180+f.events["alibaba"]; got != want {
		t.Errorf("%d events, want %d", got, want)
	}
	requests := len(f.alibaba.Requests())
	if requests < 6 { // 4 pages of 50 and 2 throttled
		t.Errorf("%d requests, want at least 6", requests)
	}
	count.check(t, 2, requests)
}

// TestTencentLookUpEvents: a Tencent source reading LookUpEvents instead of DescribeEvents
// pages through its string NextToken and counts the same events.
func TestTencentLookUpEvents(t *testing.T) {
	f := startFakes(t)
	for i := range 60 {
		sec := time.Date(2026, 11, 20, 12, 20, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Unix()
		ev := fmt.Sprintf(`{"EventId":"gen-%03d","Username":"reader","EventTime":"%d","EventName":"DescribeInstances","EventSource":"cvm.tencentcloudapi.com",
			"AccountID":100012345678,"SourceIPAddress":"198.51.100.7","ErrorCode":0,"EventRegion":"ap-guangzhou",
			"CloudAuditEvent":"{\"userIdentity\":{\"type\":\"CAMUser\",\"principalId\":\"1\",\"accountId\":\"100012345678\",\"userName\":\"reader\"},\"actionType\":\"Read\",\"eventType\":\"ApiCall\"}"}`, i, sec)
		if err := f.tencent.Add([]byte(ev)); err != nil {
			t.Fatal(err)
		}
	}
	src := f.sources[2]
	src.API = "LookUpEvents"
	r := newRig(t, []Source{src}, allSecrets, nil)
	if err := r.pollAt(t, secondPoll); err != nil {
		t.Fatal(err)
	}
	if got, want := int(r.metrics.Get("Events")), 60+f.events["tencent"]; got != want {
		t.Errorf("%d events, want %d", got, want)
	}
	reqs := f.tencent.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 pages", len(reqs))
	}
	for i, req := range reqs {
		if req.Action != "LookUpEvents" || req.Error != "" {
			t.Errorf("request %d: action %s, error %q", i, req.Action, req.Error)
		}
	}
	if !strings.Contains(string(reqs[1].Body), `"NextToken":"50"`) {
		t.Errorf("second page asked with %s, want the string token", reqs[1].Body)
	}
}

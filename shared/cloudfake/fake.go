// Package cloudfake holds wire-level fakes of the three audit APIs trailguard polls outside
// AWS — Huawei Cloud CTS ListTraces (v3), Alibaba Cloud ActionTrail LookupEvents (2020-07-06)
// and Tencent Cloud CloudAudit DescribeEvents (2019-03-19) — in the style of shared/awsfake:
// httptest servers that check each request's signature with shared/cloudsign, paginate like
// the real API, can be told to throttle the next N requests with the cloud's own throttling
// answer, and record every request for assertions. Events are held as raw JSON objects,
// exactly as the API returns them (AddPage takes a saved response page).
package cloudfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

// Request is one request a fake received.
type Request struct {
	Method, Path, Query string
	Body                []byte
	// Action is the API action asked for, where the API names it in a header (Tencent
	// X-TC-Action).
	Action string
	// KeyID is the access key ID that signed it, when one could be read.
	KeyID string
	// Error is the error code answered, empty when a page was returned.
	Error string
}

// event is one stored event: its raw JSON, its ID and time, as the API orders them.
type event struct {
	id  string
	at  time.Time
	raw json.RawMessage
}

// server is the part common to the three fakes.
type server struct {
	srv *httptest.Server

	mu       sync.Mutex
	keys     map[string]string
	events   []event // newest first
	throttle int
	requests []Request
	now      func() time.Time
}

func (s *server) start(t testing.TB, h http.HandlerFunc, cred cloudsign.Credentials) {
	t.Helper()
	s.keys = map[string]string{cred.KeyID: cred.Secret}
	s.now = time.Now
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
}

// URL is the endpoint to give the client.
func (s *server) URL() string { return s.srv.URL }

// ThrottleNext makes the next n requests fail with the cloud's throttling error.
func (s *server) ThrottleNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle += n
}

// SetClock replaces the fake's clock (time.Now) used to check signature freshness.
func (s *server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Requests returns the requests received, in order, refused ones included.
func (s *server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *server) secrets(id string) (string, bool) {
	secret, ok := s.keys[id]
	return secret, ok
}

// add stores events, keeping them newest first (ties by ID, descending) and refusing a
// duplicate ID.
func (s *server) add(evs []event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range evs {
		if e.id == "" {
			return fmt.Errorf("cloudfake: event without an ID: %s", e.raw)
		}
		if slices.ContainsFunc(s.events, func(x event) bool { return x.id == e.id }) {
			return fmt.Errorf("cloudfake: duplicate event ID %s", e.id)
		}
		s.events = append(s.events, e)
	}
	slices.SortStableFunc(s.events, func(a, b event) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	return nil
}

// takeThrottle consumes one queued throttle; the caller holds mu.
func (s *server) takeThrottle() bool {
	if s.throttle > 0 {
		s.throttle--
		return true
	}
	return false
}

// readBody reads at most 1 MiB of the request body.
func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var requestSeq struct {
	sync.Mutex
	n int
}

// requestID returns a fresh request ID in UUID form.
func requestID() string {
	requestSeq.Lock()
	defer requestSeq.Unlock()
	requestSeq.n++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", requestSeq.n)
}

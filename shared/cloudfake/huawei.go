package cloudfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

// Huawei is a fake Huawei Cloud CTS endpoint serving ListTraces v3:
// GET /v3/{project_id}/traces?trace_type=system&from=&to=&limit=&next=
// (https://support.huaweicloud.com/api-cts/cts_api_0311.html). Traces are returned newest
// first; from and to are UTC millisecond timestamps (from excluded, to included); limit is
// 1–200 (default 10); meta_data.count is the number returned and meta_data.marker the
// trace_id of the last one, passed back as next to read older traces; the last page's marker
// is null. Requests are signed with SDK-HMAC-SHA256; APIG's refusals are 401 APIGW.0301
// ("Incorrect IAM authentication information: …") and its throttling 429 APIGW.0308 ("The
// throttling threshold has been reached: …"), in APIG's {error_code, error_msg, request_id}
// body (APIG error code list, API Gateway developer guide).
type Huawei struct {
	server
	// ProjectID is the project the path must name (empty accepts any).
	ProjectID string
}

// NewHuawei starts a fake CTS accepting requests signed with cred; it stops when the test
// ends.
func NewHuawei(t testing.TB, cred cloudsign.Credentials) *Huawei {
	t.Helper()
	f := &Huawei{}
	f.start(t, f.serveHTTP, cred)
	return f
}

// AddPage stores the traces of a saved ListTraces response page.
func (f *Huawei) AddPage(page []byte) error {
	var p struct {
		Traces []json.RawMessage `json:"traces"`
	}
	if err := json.Unmarshal(page, &p); err != nil {
		return fmt.Errorf("cloudfake: huawei page: %w", err)
	}
	return f.Add(p.Traces...)
}

// Add stores traces (objects with trace_id and time in epoch milliseconds).
func (f *Huawei) Add(traces ...json.RawMessage) error {
	evs := make([]event, 0, len(traces))
	for _, raw := range traces {
		var t struct {
			TraceID string `json:"trace_id"`
			Time    int64  `json:"time"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("cloudfake: huawei trace: %w", err)
		}
		evs = append(evs, event{id: t.TraceID, at: time.UnixMilli(t.Time), raw: raw})
	}
	return f.add(evs)
}

type huaweiError struct {
	Code      string `json:"error_code"`
	Message   string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

func (f *Huawei) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(status int, code, msg string) {
		rec.Error = code
		f.requests = append(f.requests, rec)
		writeJSON(w, status, huaweiError{code, msg, requestID()})
	}
	key, err := cloudsign.VerifyHuawei(r, body, f.secrets, f.now(), cloudsign.HuaweiSkew)
	rec.KeyID = key
	if err != nil {
		msg := "Incorrect IAM authentication information: verify aksk signature fail"
		switch {
		case errors.Is(err, cloudsign.ErrUnknownKey):
			msg = "Incorrect IAM authentication information: AK access failed, ak not found"
		case errors.Is(err, cloudsign.ErrExpired):
			msg = "Incorrect IAM authentication information: signature expired"
		case errors.Is(err, cloudsign.ErrMalformed):
			msg = "Incorrect IAM authentication information: Authorization not found or invalid"
		}
		fail(http.StatusUnauthorized, "APIGW.0301", msg)
		return
	}
	if f.takeThrottle() {
		fail(http.StatusTooManyRequests, "APIGW.0308", "The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 second")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) != 3 || parts[0] != "v3" || parts[2] != "traces" ||
		(f.ProjectID != "" && parts[1] != f.ProjectID) {
		fail(http.StatusNotFound, "APIGW.0101", "The API does not exist or has not been published in the environment")
		return
	}
	q := r.URL.Query()
	if q.Get("trace_type") != "system" {
		// Only management traces are served; data traces need a tracker_name.
		fail(http.StatusBadRequest, "CTS.0001", "The parameter trace_type is invalid.")
		return
	}
	limit, from, to := 10, int64(0), int64(1)<<62
	var perr error
	if v := q.Get("limit"); v != "" {
		if limit, perr = strconv.Atoi(v); perr != nil || limit < 1 || limit > 200 {
			fail(http.StatusBadRequest, "CTS.0001", "The parameter limit is invalid.")
			return
		}
	}
	for name, dst := range map[string]*int64{"from": &from, "to": &to} {
		if v := q.Get(name); v != "" {
			if *dst, perr = strconv.ParseInt(v, 10, 64); perr != nil || len(v) != 13 {
				fail(http.StatusBadRequest, "CTS.0001", "The parameter "+name+" is invalid.")
				return
			}
		}
	}
	start := 0
	if next := q.Get("next"); next != "" {
		start = -1
		for i, e := range f.events {
			if e.id == next {
				start = i + 1
				break
			}
		}
		if start < 0 {
			fail(http.StatusBadRequest, "CTS.0001", "The parameter next is invalid.")
			return
		}
	}
	var page []json.RawMessage
	var last string
	more := false
	for _, e := range f.events[start:] {
		ms := e.at.UnixMilli()
		if ms <= from || ms > to {
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		page = append(page, e.raw)
		last = e.id
	}
	var marker *string
	if more {
		marker = &last
	}
	f.requests = append(f.requests, rec)
	if page == nil {
		page = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"traces":    page,
		"meta_data": map[string]any{"count": len(page), "marker": marker},
	})
}

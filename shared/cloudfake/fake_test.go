package cloudfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

var (
	goodKey  = cloudsign.Credentials{KeyID: "KEYID-READER", Secret: "reader-secret"}
	wrongKey = cloudsign.Credentials{KeyID: "KEYID-READER", Secret: "not-the-secret"}
	t0       = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
)

// cloud drives one fake the way a client would: it builds and signs one page request and
// reads the IDs, the next cursor and the error code out of the answer.
type cloud struct {
	name  string
	start func(t *testing.T) (url string, add func(...json.RawMessage) error, f interface {
		ThrottleNext(int)
		Requests() []Request
	})
	event   func(i int, at time.Time) json.RawMessage
	call    func(t *testing.T, base string, cred cloudsign.Credentials, limit int, cursor string) (ids []string, next, errCode string)
	samples string
}

func do(t *testing.T, r *http.Request, body []byte, s cloudsign.Signer) []byte {
	t.Helper()
	if err := s.Sign(r, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func clouds() []cloud {
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	return []cloud{{
		name: "huawei",
		start: func(t *testing.T) (string, func(...json.RawMessage) error, interface {
			ThrottleNext(int)
			Requests() []Request
		}) {
			f := NewHuawei(t, goodKey)
			f.ProjectID = "0123456789abcdef0123456789abcdef"
			return f.URL(), f.Add, f
		},
		event: func(i int, at time.Time) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"trace_id":"trace-%04d","trace_name":"login","service_type":"IAM","time":%d,"source_ip":"203.0.113.%d"}`, i, at.UnixMilli(), i%250))
		},
		call: func(t *testing.T, base string, cred cloudsign.Credentials, limit int, cursor string) ([]string, string, string) {
			q := url.Values{"trace_type": {"system"}, "limit": {strconv.Itoa(limit)},
				"from": {strconv.FormatInt(from.UnixMilli(), 10)}, "to": {strconv.FormatInt(to.UnixMilli(), 10)}}
			if cursor != "" {
				q.Set("next", cursor)
			}
			r, _ := http.NewRequest(http.MethodGet, base+"/v3/0123456789abcdef0123456789abcdef/traces?"+q.Encode(), nil)
			r.Header.Set("Content-Type", "application/json")
			var out struct {
				Traces []struct {
					TraceID string `json:"trace_id"`
				} `json:"traces"`
				Meta struct {
					Count  int     `json:"count"`
					Marker *string `json:"marker"`
				} `json:"meta_data"`
				Code string `json:"error_code"`
			}
			if err := json.Unmarshal(do(t, r, nil, cloudsign.Huawei{Credentials: cred}), &out); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, tr := range out.Traces {
				ids = append(ids, tr.TraceID)
			}
			if out.Code == "" && out.Meta.Count != len(ids) {
				t.Errorf("meta_data.count %d for %d traces", out.Meta.Count, len(ids))
			}
			next := ""
			if out.Meta.Marker != nil {
				next = *out.Meta.Marker
			}
			return ids, next, out.Code
		},
		samples: "huawei",
	}, {
		name: "alibaba",
		start: func(t *testing.T) (string, func(...json.RawMessage) error, interface {
			ThrottleNext(int)
			Requests() []Request
		}) {
			f := NewAlibaba(t, goodKey)
			return f.URL(), f.Add, f
		},
		event: func(i int, at time.Time) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"eventId":"event-%04d","eventName":"ConsoleSignin","eventTime":"%s","sourceIpAddress":"203.0.113.%d"}`, i, at.UTC().Format(cloudsign.AlibabaDateFormat), i%250))
		},
		call: func(t *testing.T, base string, cred cloudsign.Credentials, limit int, cursor string) ([]string, string, string) {
			q := url.Values{"StartTime": {from.Format(cloudsign.AlibabaDateFormat)}, "EndTime": {to.Format(cloudsign.AlibabaDateFormat)},
				"MaxResults": {strconv.Itoa(limit)}}
			if cursor != "" {
				q.Set("NextToken", cursor)
			}
			r, _ := http.NewRequest(http.MethodPost, base+"/?"+q.Encode(), nil)
			var out struct {
				Events []struct {
					EventID string `json:"eventId"`
				}
				NextToken, Code string
			}
			if err := json.Unmarshal(do(t, r, nil, cloudsign.Alibaba{Credentials: cred, Action: "LookupEvents", Version: "2020-07-06"}), &out); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range out.Events {
				ids = append(ids, e.EventID)
			}
			return ids, out.NextToken, out.Code
		},
		samples: "alibaba",
	}, {
		name: "tencent",
		start: func(t *testing.T) (string, func(...json.RawMessage) error, interface {
			ThrottleNext(int)
			Requests() []Request
		}) {
			f := NewTencent(t, goodKey)
			return f.URL(), f.Add, f
		},
		event: func(i int, at time.Time) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"EventId":"event-%04d","EventName":"ConsoleLogin","EventTime":"%d","CloudAuditEvent":"{}"}`, i, at.Unix()))
		},
		call: func(t *testing.T, base string, cred cloudsign.Credentials, limit int, cursor string) ([]string, string, string) {
			in := map[string]any{"StartTime": from.Unix(), "EndTime": to.Unix(), "MaxResults": limit}
			if cursor != "" {
				n, _ := strconv.ParseUint(cursor, 10, 64)
				in["NextToken"] = n
			}
			body, _ := json.Marshal(in)
			r, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			var out struct {
				Response struct {
					ListOver  bool
					NextToken uint64
					Events    []struct{ EventId string }
					Error     struct{ Code string }
				}
			}
			s := cloudsign.Tencent{Credentials: cred, Service: "cloudaudit", Action: "DescribeEvents", Version: "2019-03-19", Region: "ap-guangzhou"}
			if err := json.Unmarshal(do(t, r, body, s), &out); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range out.Response.Events {
				ids = append(ids, e.EventId)
			}
			next := ""
			if !out.Response.ListOver {
				next = strconv.FormatUint(out.Response.NextToken, 10)
			}
			return ids, next, out.Response.Error.Code
		},
		samples: "tencent",
	}, {
		// LookUpEvents on the same fake: NextToken a string both ways.
		name: "tencent-lookup",
		start: func(t *testing.T) (string, func(...json.RawMessage) error, interface {
			ThrottleNext(int)
			Requests() []Request
		}) {
			f := NewTencent(t, goodKey)
			return f.URL(), f.Add, f
		},
		event: func(i int, at time.Time) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"EventId":"event-%04d","EventName":"ConsoleLogin","EventTime":"%d","CloudAuditEvent":"{}"}`, i, at.Unix()))
		},
		call: func(t *testing.T, base string, cred cloudsign.Credentials, limit int, cursor string) ([]string, string, string) {
			in := map[string]any{"StartTime": from.Unix(), "EndTime": to.Unix(), "MaxResults": limit, "Mode": "standard"}
			if cursor != "" {
				in["NextToken"] = cursor
			}
			body, _ := json.Marshal(in)
			r, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			var out struct {
				Response struct {
					ListOver  bool
					NextToken *string
					Events    []struct{ EventId string }
					Error     struct{ Code string }
				}
			}
			s := cloudsign.Tencent{Credentials: cred, Service: "cloudaudit", Action: "LookUpEvents", Version: "2019-03-19", Region: "ap-guangzhou"}
			if err := json.Unmarshal(do(t, r, body, s), &out); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range out.Response.Events {
				ids = append(ids, e.EventId)
			}
			next := ""
			if !out.Response.ListOver && out.Response.NextToken != nil {
				next = *out.Response.NextToken
			}
			return ids, next, out.Response.Error.Code
		},
		samples: "tencent",
	}}
}

// TestTencentTokenTypes: each action takes its own NextToken type; the other is refused.
func TestTencentTokenTypes(t *testing.T) {
	f := NewTencent(t, goodKey)
	for _, tt := range []struct {
		action, token, want string
	}{
		{"DescribeEvents", `"5"`, "InvalidParameter"},
		{"LookUpEvents", `5`, "InvalidParameter"},
		{"LookUpEvents", `"x"`, "InvalidParameterValue"},
		{"DescribeEvents", `5`, ""},
		{"LookUpEvents", `"5"`, ""},
	} {
		body := []byte(fmt.Sprintf(`{"StartTime":1,"EndTime":2,"NextToken":%s}`, tt.token))
		r, _ := http.NewRequest(http.MethodPost, f.URL()+"/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var out struct {
			Response struct{ Error struct{ Code string } }
		}
		s := cloudsign.Tencent{Credentials: goodKey, Service: "cloudaudit", Action: tt.action, Version: "2019-03-19", Region: "ap-guangzhou"}
		if err := json.Unmarshal(do(t, r, body, s), &out); err != nil {
			t.Fatal(err)
		}
		if out.Response.Error.Code != tt.want {
			t.Errorf("%s NextToken %s: error %q, want %q", tt.action, tt.token, out.Response.Error.Code, tt.want)
		}
	}
}

// readAll pages through the fake and returns the IDs in the order served.
func readAll(t *testing.T, c cloud, base string, limit int) (ids []string, pages int) {
	t.Helper()
	cursor := ""
	for pages = 1; pages < 100; pages++ {
		got, next, code := c.call(t, base, goodKey, limit, cursor)
		if code != "" {
			t.Fatalf("page %d: error %s", pages, code)
		}
		ids = append(ids, got...)
		if next == "" {
			return ids, pages
		}
		cursor = next
	}
	t.Fatal("pagination does not end")
	return nil, 0
}

func TestPaginationReturnsEveryEventOnce(t *testing.T) {
	for _, c := range clouds() {
		for _, n := range []int{0, 1, 7, 10, 23} {
			t.Run(fmt.Sprintf("%s/%d events", c.name, n), func(t *testing.T) {
				base, add, _ := c.start(t)
				for i := range n {
					// Two events share each second, so ties are ordered too.
					if err := add(c.event(i, t0.Add(-time.Duration(i/2)*time.Second))); err != nil {
						t.Fatal(err)
					}
				}
				// One event outside the window is never served.
				if err := add(c.event(9999, t0.Add(-3*time.Hour))); err != nil {
					t.Fatal(err)
				}
				ids, pages := readAll(t, c, base, 5)
				if len(ids) != n {
					t.Fatalf("%d events read, want %d: %v", len(ids), n, ids)
				}
				seen := map[string]bool{}
				for _, id := range ids {
					if seen[id] {
						t.Errorf("%s served twice", id)
					}
					seen[id] = true
				}
				if want := max(1, (n+4)/5); pages != want && !(n%5 == 0 && n > 0 && pages == want+1) {
					t.Errorf("%d pages for %d events, want %d", pages, n, want)
				}
			})
		}
	}
}

func TestThrottleAnswersTheCloudsError(t *testing.T) {
	want := map[string]string{"huawei": "APIGW.0308", "alibaba": "Throttling.User", "tencent": "RequestLimitExceeded", "tencent-lookup": "RequestLimitExceeded"}
	for _, c := range clouds() {
		t.Run(c.name, func(t *testing.T) {
			base, add, f := c.start(t)
			if err := add(c.event(1, t0)); err != nil {
				t.Fatal(err)
			}
			f.ThrottleNext(2)
			for i := range 2 {
				if _, _, code := c.call(t, base, goodKey, 5, ""); code != want[c.name] {
					t.Errorf("request %d: %q, want %s", i, code, want[c.name])
				}
			}
			if ids, _, code := c.call(t, base, goodKey, 5, ""); code != "" || len(ids) != 1 {
				t.Errorf("after the throttles: %v %q", ids, code)
			}
			if n := len(f.Requests()); n != 3 {
				t.Errorf("%d requests recorded, want 3", n)
			}
		})
	}
}

func TestWrongKeyRefused(t *testing.T) {
	want := map[string]string{"huawei": "APIGW.0301", "alibaba": "SignatureDoesNotMatch", "tencent": "AuthFailure.SignatureFailure",
		"tencent-lookup": "AuthFailure.SignatureFailure"}
	unknown := map[string]string{"huawei": "APIGW.0301", "alibaba": "InvalidAccessKeyId.NotFound", "tencent": "AuthFailure.SecretIdNotFound",
		"tencent-lookup": "AuthFailure.SecretIdNotFound"}
	for _, c := range clouds() {
		t.Run(c.name, func(t *testing.T) {
			base, add, f := c.start(t)
			if err := add(c.event(1, t0)); err != nil {
				t.Fatal(err)
			}
			if ids, _, code := c.call(t, base, wrongKey, 5, ""); code != want[c.name] || len(ids) != 0 {
				t.Errorf("wrong secret: %v %q, want %s", ids, code, want[c.name])
			}
			other := cloudsign.Credentials{KeyID: "KEYID-STRANGER", Secret: "x"}
			if ids, _, code := c.call(t, base, other, 5, ""); code != unknown[c.name] || len(ids) != 0 {
				t.Errorf("unknown key: %v %q, want %s", ids, code, unknown[c.name])
			}
			reqs := f.Requests()
			if len(reqs) != 2 || reqs[0].KeyID != "KEYID-READER" || reqs[0].Error == "" {
				t.Errorf("requests %+v", reqs)
			}
		})
	}
}

// TestSamplePagesServe loads every sample page under events/cloudpoll/<cloud> into the fake
// and reads every event back.
func TestSamplePagesServe(t *testing.T) {
	for _, c := range clouds() {
		t.Run(c.name, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join("..", "..", "events", "cloudpoll", c.samples, "*.json"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no samples: %v", err)
			}
			base, _, f := c.start(t)
			want := 0
			for _, file := range files {
				page, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				var addPage func([]byte) error
				switch v := f.(type) {
				case *Huawei:
					addPage = v.AddPage
				case *Alibaba:
					addPage = v.AddPage
				case *Tencent:
					addPage = v.AddPage
				}
				if err := addPage(page); err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				want += countEvents(t, page)
			}
			ids, _ := readAllWindow(t, c, base)
			if len(ids) != want || want < 5 {
				t.Errorf("%d events served, %d in the samples", len(ids), want)
			}
		})
	}
}

func countEvents(t *testing.T, page []byte) int {
	var p struct {
		Traces   []json.RawMessage
		Events   []json.RawMessage
		Response struct{ Events []json.RawMessage }
	}
	if err := json.Unmarshal(page, &p); err != nil {
		t.Fatal(err)
	}
	return len(p.Traces) + len(p.Events) + len(p.Response.Events)
}

// readAllWindow reads the samples, whose times are around 2026-11-20 12:27–12:31 UTC, which
// the clouds() window (t0 ± 1 h) covers.
func readAllWindow(t *testing.T, c cloud, base string) ([]string, int) {
	return readAll(t, c, base, 2)
}

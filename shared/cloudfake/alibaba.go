package cloudfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

// Alibaba is a fake Alibaba Cloud ActionTrail endpoint serving LookupEvents 2020-07-06
// (https://www.alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-lookupevents):
// RPC style, parameters in the query (or a form body), StartTime/EndTime in
// YYYY-MM-DDThh:mm:ssZ, MaxResults 1–50 (default 20), NextToken from the previous answer.
// It answers {RequestId, NextToken, StartTime, EndTime, Events: [event objects]}, newest
// first; NextToken is empty on the last page. Requests are signed with ACS3-HMAC-SHA256 and
// refused in the OpenAPI gateway's {RequestId, HostId, Code, Message, Recommend} shape:
// InvalidAccessKeyId.NotFound (404), SignatureDoesNotMatch, IncompleteSignature,
// InvalidTimeStamp.Expired, SignatureNonceUsed (400); throttling is Throttling.User (400,
// "Request was denied due to user flow control.").
type Alibaba struct {
	server
	nonces map[string]bool
}

// NewAlibaba starts a fake ActionTrail accepting requests signed with cred.
func NewAlibaba(t testing.TB, cred cloudsign.Credentials) *Alibaba {
	t.Helper()
	f := &Alibaba{nonces: map[string]bool{}}
	f.start(t, f.serveHTTP, cred)
	return f
}

// AddPage stores the events of a saved LookupEvents response page.
func (f *Alibaba) AddPage(page []byte) error {
	var p struct {
		Events []json.RawMessage `json:"Events"`
	}
	if err := json.Unmarshal(page, &p); err != nil {
		return fmt.Errorf("cloudfake: alibaba page: %w", err)
	}
	return f.Add(p.Events...)
}

// Add stores events (objects with eventId and eventTime in YYYY-MM-DDThh:mm:ssZ).
func (f *Alibaba) Add(events ...json.RawMessage) error {
	evs := make([]event, 0, len(events))
	for _, raw := range events {
		var e struct {
			EventID   string `json:"eventId"`
			EventTime string `json:"eventTime"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("cloudfake: alibaba event: %w", err)
		}
		at, err := time.Parse(cloudsign.AlibabaDateFormat, e.EventTime)
		if err != nil {
			return fmt.Errorf("cloudfake: alibaba event %s: %w", e.EventID, err)
		}
		evs = append(evs, event{id: e.EventID, at: at, raw: raw})
	}
	return f.add(evs)
}

func (f *Alibaba) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(status int, code, msg string) {
		rec.Error = code
		f.requests = append(f.requests, rec)
		writeJSON(w, status, map[string]string{
			"RequestId": requestID(), "HostId": r.Host, "Code": code, "Message": msg,
			"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code) + "&product=Actiontrail",
		})
	}
	key, err := cloudsign.VerifyAlibaba(r, body, f.secrets, f.now(), cloudsign.AlibabaSkew)
	rec.KeyID = key
	if err != nil {
		status, code, msg := alibabaSignatureError(err)
		fail(status, code, msg)
		return
	}
	nonce := r.Header.Get("x-acs-signature-nonce")
	if f.nonces[nonce] {
		fail(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
		return
	}
	f.nonces[nonce] = true
	if f.takeThrottle() {
		fail(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
		return
	}
	if r.Header.Get("x-acs-action") != "LookupEvents" || r.Header.Get("x-acs-version") != "2020-07-06" {
		fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
		return
	}
	params := r.URL.Query()
	if form, err := url.ParseQuery(string(body)); err == nil && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		for k, v := range form {
			params[k] = v
		}
	}
	start, end := time.Time{}, f.now()
	var perr error
	if v := params.Get("StartTime"); v != "" {
		if start, perr = time.Parse(cloudsign.AlibabaDateFormat, v); perr != nil {
			fail(http.StatusBadRequest, "InvalidStartTime", "The specified StartTime is invalid.")
			return
		}
	}
	if v := params.Get("EndTime"); v != "" {
		if end, perr = time.Parse(cloudsign.AlibabaDateFormat, v); perr != nil {
			fail(http.StatusBadRequest, "InvalidEndTime", "The specified EndTime is invalid.")
			return
		}
	}
	limit := 20
	if v := params.Get("MaxResults"); v != "" {
		if limit, perr = strconv.Atoi(v); perr != nil || limit < 1 || limit > 50 {
			fail(http.StatusBadRequest, "InvalidMaxResults", "The specified MaxResults is invalid.")
			return
		}
	}
	offset := 0
	if v := params.Get("NextToken"); v != "" {
		if offset, perr = strconv.Atoi(v); perr != nil || offset < 0 {
			fail(http.StatusBadRequest, "InvalidNextToken", "The specified NextToken is invalid.")
			return
		}
	}
	var matching []json.RawMessage
	for _, e := range f.events {
		if !e.at.Before(start) && !e.at.After(end) {
			matching = append(matching, e.raw)
		}
	}
	page := []json.RawMessage{}
	next := ""
	if offset < len(matching) {
		stop := min(offset+limit, len(matching))
		page = matching[offset:stop]
		if stop < len(matching) {
			next = strconv.Itoa(stop)
		}
	}
	f.requests = append(f.requests, rec)
	writeJSON(w, http.StatusOK, map[string]any{
		"RequestId": requestID(), "NextToken": next,
		"StartTime": params.Get("StartTime"), "EndTime": params.Get("EndTime"), "Events": page,
	})
}

// alibabaSignatureError is how Alibaba Cloud's gateways answer a request whose signature
// cloudsign.VerifyAlibaba refused (every ACS3-signed fake answers alike).
func alibabaSignatureError(err error) (status int, code, msg string) {
	switch {
	case errors.Is(err, cloudsign.ErrUnknownKey):
		return http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
	case errors.Is(err, cloudsign.ErrExpired):
		return http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
	case errors.Is(err, cloudsign.ErrSignature):
		return http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
	}
	return http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
}

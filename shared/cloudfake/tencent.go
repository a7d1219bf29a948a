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

// Tencent is a fake Tencent Cloud CloudAudit endpoint serving DescribeEvents 2019-03-19, and
// LookUpEvents of the same version (its request and answer as DescribeEvents', but NextToken
// a string both ways, null on the last page, and an optional Mode "standard"|"quick";
// tencentcloud-sdk-go cloudaudit/v20190319 models.go LookUpEventsRequestParams and
// LookUpEventsResponseParams). Request.Action records the action. DescribeEvents:
// (https://www.tencentcloud.com/document/api/629/45390; tencentcloud-sdk-go
// cloudaudit/v20190319/models.go): POST / with a JSON body {StartTime, EndTime (Unix seconds),
// NextToken (number), MaxResults (at most 50)}, headers X-TC-Action DescribeEvents and
// X-TC-Version 2019-03-19, signed with TC3-HMAC-SHA256 for service "cloudaudit". It answers
// {"Response": {ListOver, NextToken, Events, RequestId}}, newest first, each event carrying
// CloudAuditEvent as a JSON string and EventTime as a string of seconds. Errors are HTTP 200
// with {"Response": {"Error": {Code, Message}, RequestId}}: AuthFailure.SecretIdNotFound,
// AuthFailure.SignatureFailure, AuthFailure.SignatureExpire, AuthFailure.InvalidAuthorization
// ("Signature Failure" codes of the Signature v3 document), and RequestLimitExceeded for
// throttling (common error codes).
type Tencent struct {
	server
}

// NewTencent starts a fake CloudAudit accepting requests signed with cred.
func NewTencent(t testing.TB, cred cloudsign.Credentials) *Tencent {
	t.Helper()
	f := &Tencent{}
	f.start(t, f.serveHTTP, cred)
	return f
}

// AddPage stores the events of a saved DescribeEvents response page.
func (f *Tencent) AddPage(page []byte) error {
	var p struct {
		Response struct {
			Events []json.RawMessage `json:"Events"`
		} `json:"Response"`
	}
	if err := json.Unmarshal(page, &p); err != nil {
		return fmt.Errorf("cloudfake: tencent page: %w", err)
	}
	return f.Add(p.Response.Events...)
}

// Add stores events (objects with EventId and EventTime, a string of Unix seconds).
func (f *Tencent) Add(events ...json.RawMessage) error {
	evs := make([]event, 0, len(events))
	for _, raw := range events {
		var e struct {
			EventID   string `json:"EventId"`
			EventTime string `json:"EventTime"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("cloudfake: tencent event: %w", err)
		}
		sec, err := strconv.ParseInt(e.EventTime, 10, 64)
		if err != nil {
			return fmt.Errorf("cloudfake: tencent event %s: EventTime: %w", e.EventID, err)
		}
		evs = append(evs, event{id: e.EventID, at: time.Unix(sec, 0), raw: raw})
	}
	return f.add(evs)
}

func (f *Tencent) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(code, msg string) {
		rec.Error = code
		f.requests = append(f.requests, rec)
		writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{
			"Error": map[string]string{"Code": code, "Message": msg}, "RequestId": requestID()}})
	}
	key, err := cloudsign.VerifyTencent(r, body, "cloudaudit", f.secrets, f.now(), cloudsign.TencentSkew)
	rec.KeyID = key
	switch {
	case errors.Is(err, cloudsign.ErrUnknownKey):
		fail("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct.")
		return
	case errors.Is(err, cloudsign.ErrExpired):
		fail("AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.")
		return
	case errors.Is(err, cloudsign.ErrSignature):
		fail("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.")
		return
	case err != nil:
		fail("AuthFailure.InvalidAuthorization", "Authorization header is invalid.")
		return
	}
	if f.takeThrottle() {
		fail("RequestLimitExceeded", "Your current request times equals to `20` in a second, which exceeds the frequency limit `20` for a second. Please reduce the frequency of calls.")
		return
	}
	action := r.Header.Get("X-TC-Action")
	if r.Method != http.MethodPost || (action != "DescribeEvents" && action != "LookUpEvents") || r.Header.Get("X-TC-Version") != "2019-03-19" {
		fail("InvalidAction", "The action requested was invalid or not found.")
		return
	}
	rec.Action = action
	lookUp := action == "LookUpEvents"
	var in struct {
		StartTime, EndTime *uint64
		NextToken          json.RawMessage
		MaxResults         *uint64
		Mode               *string
	}
	if err := json.Unmarshal(body, &in); err != nil || in.StartTime == nil || in.EndTime == nil {
		fail("InvalidParameter", "StartTime and EndTime are required Unix seconds.")
		return
	}
	if lookUp && in.Mode != nil && *in.Mode != "standard" && *in.Mode != "quick" {
		fail("InvalidParameterValue", "Mode must be standard or quick.")
		return
	}
	limit := uint64(10)
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			fail("InvalidParameterValue", "MaxResults must be between 1 and 50.")
			return
		}
		limit = *in.MaxResults
	}
	var matching []json.RawMessage
	for _, e := range f.events {
		if s := uint64(e.at.Unix()); s >= *in.StartTime && s <= *in.EndTime {
			matching = append(matching, e.raw)
		}
	}
	// DescribeEvents' NextToken is a number, LookUpEvents' a string; the other form is refused
	// as the SDK's types would refuse it.
	offset := uint64(0)
	if tok := string(in.NextToken); tok != "" && tok != "null" {
		if lookUp != strings.HasPrefix(tok, `"`) {
			fail("InvalidParameter", "NextToken has the wrong type for "+action+".")
			return
		}
		n, err := strconv.ParseUint(strings.Trim(tok, `"`), 10, 64)
		if err != nil {
			fail("InvalidParameterValue", "NextToken is invalid.")
			return
		}
		offset = n
	}
	page := []json.RawMessage{}
	next, over := uint64(0), true
	if offset < uint64(len(matching)) {
		stop := min(offset+limit, uint64(len(matching)))
		page = matching[offset:stop]
		if stop < uint64(len(matching)) {
			next, over = stop, false
		}
	}
	f.requests = append(f.requests, rec)
	var token any = next
	if lookUp {
		token = strconv.FormatUint(next, 10)
		if over {
			token = nil // the SDK model: "may return null"
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{
		"ListOver": over, "NextToken": token, "Events": page, "RequestId": requestID()}})
}

package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/cloudaudit"
	"github.com/trailguard/trailguard/shared/cloudsign"
)

// Window is one poll's time range, both ends included as each API reads them.
type Window struct{ From, To time.Time }

// pageSize is each API's largest page: CTS limit ≤ 200, ActionTrail MaxResults ≤ 50,
// CloudAudit MaxResults ≤ 50.
var pageSize = map[string]int{cloudaudit.Huawei: 200, cloudaudit.Alibaba: 50, cloudaudit.Tencent: 50}

// Errors a fetch classifies, so the poller knows what to do: retry a throttle with backoff,
// tell the operators once about refused credentials, fail the source on anything else.
var (
	ErrThrottled = errors.New("throttled")
	ErrRefused   = errors.New("credentials refused")
)

// throttleCodes and refusedCodes are the error codes of each cloud that mean "slow down" and
// "these credentials are not accepted":
//   - Huawei: the API gateway's codes, APIGW.xxxx on the shared gateway and APIG.xxxx on a
//     dedicated one (API signing guide "Error Codes",
//     https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-errorcode.html, and
//     "Common Errors Related to IAM Authentication Information": 0301 "Incorrect IAM
//     authentication information: verify aksk signature fail"; 0308 "The throttling threshold
//     has been reached"). An AK/SK failing five times in a row is locked for a while, one more
//     reason a refused key stops that source until the next poll rather than retrying.
//   - Alibaba: the OpenAPI gateway's codes (Throttling.User "Request was denied due to user
//     flow control.", InvalidAccessKeyId.NotFound, SignatureDoesNotMatch, Forbidden.RAM).
//   - Tencent: the common error codes of API 3.0 (AuthFailure.*, UnauthorizedOperation,
//     RequestLimitExceeded; e.g. https://www.tencentcloud.com/document/api/1036/38589).
var (
	throttleCodes = map[string]bool{"APIGW.0308": true, "APIG.0308": true, "Throttling.User": true, "Throttling": true, "Throttling.Api": true,
		"RequestLimitExceeded": true, "RequestLimitExceeded.UinLimitExceeded": true}
	refusedPrefixes = []string{"APIGW.0301", "APIGW.0302", "APIGW.0303", "APIGW.0305", "APIG.0301", "APIG.0302", "APIG.0303", "APIG.0305",
		"InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature", "Forbidden.RAM", "NoPermission", "AuthFailure",
		"UnauthorizedOperation", "IAM."}
)

// classify wraps an API error as ErrThrottled or ErrRefused when its code says so.
func classify(err error, status int) error {
	var ae *cloudaudit.APIError
	if !errors.As(err, &ae) {
		if status == http.StatusTooManyRequests {
			return fmt.Errorf("%w: HTTP %d", ErrThrottled, status)
		}
		return err
	}
	if throttleCodes[ae.Code] || status == http.StatusTooManyRequests {
		return fmt.Errorf("%w: %w", ErrThrottled, err)
	}
	for _, p := range refusedPrefixes {
		if strings.HasPrefix(ae.Code, p) {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
	}
	return err
}

// Client fetches one page of a source's events. Now is the signing clock; Pace, when set,
// spaces each source's requests under its cloud's rate (RequestRate: ActionTrail's 2 per
// second), one bucket per source.
type Client struct {
	HTTP *http.Client
	Now  func() time.Time
	Pace map[string]*Pacer // by cloud
}

// Fetch reads the page at cursor ("" for the first) of the window.
func (c *Client) Fetch(ctx context.Context, src Source, cred cloudsign.Credentials, w Window, cursor string) (cloudaudit.Page, error) {
	req, body, signer, err := buildRequest(ctx, src, cred, w, cursor)
	if err != nil {
		return cloudaudit.Page{}, err
	}
	if err := c.Pace[src.Cloud].Wait(ctx, src.Name); err != nil {
		return cloudaudit.Page{}, fmt.Errorf("waiting for the rate limit: %w", err)
	}
	if err := signer.Sign(req, body, c.Now()); err != nil {
		return cloudaudit.Page{}, fmt.Errorf("sign: %w", err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return cloudaudit.Page{}, fmt.Errorf("%s %s: %w", src.Cloud, src.Endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return cloudaudit.Page{}, fmt.Errorf("read answer: %w", err)
	}
	page, err := cloudaudit.DecodePage(src.Cloud, data)
	if err != nil {
		return cloudaudit.Page{}, classify(err, resp.StatusCode)
	}
	if resp.StatusCode >= 300 {
		return cloudaudit.Page{}, classify(fmt.Errorf("%s: HTTP %d", src.Cloud, resp.StatusCode), resp.StatusCode)
	}
	return page, nil
}

// NewPacers is a Pacer per paced cloud (RequestRate), burst 1: requests at most 1/rate apart.
func NewPacers(now func() time.Time, sleep func(context.Context, time.Duration) error) map[string]*Pacer {
	out := map[string]*Pacer{}
	for cloud, rate := range RequestRate {
		out[cloud] = &Pacer{Rate: rate, Burst: 1, Now: now, Sleep: sleep}
	}
	return out
}

// buildRequest builds one page request as each API takes it (and as shared/cloudfake checks).
func buildRequest(ctx context.Context, src Source, cred cloudsign.Credentials, w Window, cursor string) (*http.Request, []byte, cloudsign.Signer, error) {
	base := strings.TrimRight(src.Endpoint, "/")
	switch src.Cloud {
	case cloudaudit.Huawei:
		// from is exclusive on CTS: start a millisecond early so an event at From is read.
		q := url.Values{"trace_type": {"system"}, "limit": {strconv.Itoa(pageSize[src.Cloud])},
			"from": {strconv.FormatInt(w.From.UnixMilli()-1, 10)}, "to": {strconv.FormatInt(w.To.UnixMilli(), 10)}}
		if cursor != "" {
			q.Set("next", cursor)
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v3/"+url.PathEscape(src.ProjectID)+"/traces?"+q.Encode(), nil)
		if err != nil {
			return nil, nil, nil, err
		}
		r.Header.Set("Content-Type", "application/json")
		return r, nil, cloudsign.Huawei{Credentials: cred}, nil
	case cloudaudit.Alibaba:
		q := url.Values{"StartTime": {w.From.UTC().Format(cloudsign.AlibabaDateFormat)}, "EndTime": {w.To.UTC().Format(cloudsign.AlibabaDateFormat)},
			"MaxResults": {strconv.Itoa(pageSize[src.Cloud])}}
		if cursor != "" {
			q.Set("NextToken", cursor)
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/?"+q.Encode(), nil)
		if err != nil {
			return nil, nil, nil, err
		}
		return r, nil, cloudsign.Alibaba{Credentials: cred, Action: "LookupEvents", Version: "2020-07-06"}, nil
	case cloudaudit.Tencent:
		action := cmp.Or(src.API, TencentAPIs[0])
		in := map[string]any{"StartTime": w.From.Unix(), "EndTime": w.To.Unix(), "MaxResults": pageSize[src.Cloud]}
		switch {
		case cursor == "":
		case action == "LookUpEvents":
			in["NextToken"] = cursor // a string token
		default:
			n, err := strconv.ParseUint(cursor, 10, 64)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("tencent cursor %q: %w", cursor, err)
			}
			in["NextToken"] = n
		}
		body, _ := json.Marshal(in)
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/", bytes.NewReader(body))
		if err != nil {
			return nil, nil, nil, err
		}
		r.Header.Set("Content-Type", "application/json")
		return r, body, cloudsign.Tencent{Credentials: cred, Service: "cloudaudit", Action: action, Version: "2019-03-19", Region: src.Region}, nil
	}
	return nil, nil, nil, fmt.Errorf("unknown cloud %q", src.Cloud)
}

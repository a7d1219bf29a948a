package cloudaudit

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/trailguard/trailguard/shared/trail"
)

// Page is one response page of a cloud's audit API, as the API returns it: its events (raw,
// for Normalize) and the cursor of the next page ("" on the last).
type Page struct {
	Events []json.RawMessage
	Next   string
}

// APIError is an error answer of a cloud's API (Huawei error_code, Alibaba Code, Tencent
// Response.Error.Code), with the HTTP status when known.
type APIError struct {
	Cloud, Code, Message string
	Status               int
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s API error %s: %s", e.Cloud, e.Code, e.Message)
}

// DecodePage reads one saved or received page: Huawei ListTraces {traces, meta_data{marker}},
// Alibaba LookupEvents {Events, NextToken}, Tencent DescribeEvents and LookUpEvents
// {Response{Events, NextToken, ListOver}}. An error answer in the cloud's shape is an *APIError; a page that is
// not the cloud's shape is an error wrapping trail.ErrMalformed.
func DecodePage(cloud string, body []byte) (Page, error) {
	bad := func(err error) (Page, error) {
		return Page{}, fmt.Errorf("%w: %s page: %w", trail.ErrMalformed, cloud, err)
	}
	switch cloud {
	case Huawei:
		var p struct {
			Traces *[]json.RawMessage `json:"traces"`
			Meta   struct {
				Marker *string `json:"marker"`
			} `json:"meta_data"`
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return bad(err)
		}
		if p.Code != "" {
			return Page{}, &APIError{Cloud: cloud, Code: p.Code, Message: p.Msg}
		}
		if p.Traces == nil {
			return bad(fmt.Errorf("no traces"))
		}
		out := Page{Events: *p.Traces}
		if p.Meta.Marker != nil && len(out.Events) > 0 {
			out.Next = *p.Meta.Marker
		}
		return out, nil
	case Alibaba:
		var p struct {
			Events    *[]json.RawMessage
			NextToken string
			Code      string
			Message   string
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return bad(err)
		}
		if p.Code != "" {
			return Page{}, &APIError{Cloud: cloud, Code: p.Code, Message: p.Message}
		}
		if p.Events == nil {
			return bad(fmt.Errorf("no Events"))
		}
		return Page{Events: *p.Events, Next: p.NextToken}, nil
	case Tencent:
		// DescribeEvents' NextToken is a number, LookUpEvents' a string (tencentcloud-sdk-go
		// cloudaudit/v20190319 models.go: DescribeEventsResponseParams.NextToken *uint64,
		// LookUpEventsResponseParams.NextToken *string); both pages carry the same Events.
		var p struct {
			Response *struct {
				Events    *[]json.RawMessage
				NextToken json.RawMessage
				ListOver  bool
				Error     *struct{ Code, Message string }
			}
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return bad(err)
		}
		if p.Response == nil {
			return bad(fmt.Errorf("no Response"))
		}
		if e := p.Response.Error; e != nil {
			return Page{}, &APIError{Cloud: cloud, Code: e.Code, Message: e.Message}
		}
		if p.Response.Events == nil {
			return bad(fmt.Errorf("no Response.Events"))
		}
		out := Page{Events: *p.Response.Events}
		if !p.Response.ListOver {
			tok := p.Response.NextToken
			var s string
			switch {
			case len(tok) > 0 && tok[0] == '"':
				if err := json.Unmarshal(tok, &s); err != nil || s == "" {
					return bad(fmt.Errorf("NextToken %s: not a token", tok))
				}
			default:
				if _, err := strconv.ParseUint(string(tok), 10, 64); err != nil {
					return bad(fmt.Errorf("NextToken %q: %w", tok, err))
				}
				s = string(tok)
			}
			out.Next = s
		}
		return out, nil
	}
	return Page{}, fmt.Errorf("cloudaudit: unknown cloud %q (want huawei, alibaba or tencent)", cloud)
}

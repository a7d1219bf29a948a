package main

import (
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// signInEvent is the part of an EventBridge sign-in event the checker reads, decoded in one
// pass with the sign-in fields typed: a sign-in is checked in a few microseconds, and fields
// the checker never reads (request parameters, TLS details…) are skipped, not copied. Only when
// this decode fails does the full trail.DecodeEvent run, for its error naming the field.
type signInEvent struct {
	Source     string        `json:"source"`
	DetailType string        `json:"detail-type"`
	Detail     *signInRecord `json:"detail"`
}

type signInRecord struct {
	EventTime          string             `json:"eventTime"`
	EventSource        string             `json:"eventSource"`
	EventName          string             `json:"eventName"`
	AWSRegion          string             `json:"awsRegion"`
	SourceIPAddress    string             `json:"sourceIPAddress"`
	UserAgent          string             `json:"userAgent"`
	ErrorMessage       string             `json:"errorMessage"`
	EventID            string             `json:"eventID"`
	RecipientAccountID string             `json:"recipientAccountId"`
	UserIdentity       trail.UserIdentity `json:"userIdentity"`
	ResponseElements   *struct {
		ConsoleLogin string `json:"ConsoleLogin"`
	} `json:"responseElements"`
	AdditionalEventData *struct {
		MFAUsed         string `json:"MFAUsed"`
		LoginTo         string `json:"LoginTo"`
		SAMLProviderARN string `json:"SamlProviderArn"`
		CredentialType  string `json:"CredentialType"`
		UserName        string `json:"UserName"`
	} `json:"additionalEventData"`
	ServiceEventDetails map[string]json.RawMessage `json:"serviceEventDetails"`
}

// decodeSignIn decodes a sign-in event into the record fields the checker reads and what the
// record says about the sign-in (as trail.Record.SignIn would).
func decodeSignIn(raw []byte) (*trail.Record, trail.SignIn, error) {
	var ev signInEvent
	if err := json.Unmarshal(raw, &ev); err == nil && ev.Source != "" && ev.DetailType != "" && ev.Detail != nil {
		if rec, si, ok := ev.Detail.split(); ok {
			return rec, si, nil
		}
	}
	full, err := trail.DecodeEvent(raw)
	if err != nil {
		return nil, trail.SignIn{}, err
	}
	si, err := full.Detail.SignIn()
	if err != nil {
		return nil, si, fmt.Errorf("detail: %w", err)
	}
	return full.Detail, si, nil
}

// split turns the lean record into a trail.Record and its SignIn. ok is false when the
// Identity Center outcome is not a plain string: the full decoder then says what is wrong.
func (r *signInRecord) split() (*trail.Record, trail.SignIn, bool) {
	rec := &trail.Record{
		EventTime: r.EventTime, EventSource: r.EventSource, EventName: r.EventName, AWSRegion: r.AWSRegion,
		SourceIPAddress: r.SourceIPAddress, UserAgent: r.UserAgent, ErrorMessage: r.ErrorMessage,
		EventID: r.EventID, RecipientAccountID: r.RecipientAccountID, UserIdentity: r.UserIdentity,
	}
	var si trail.SignIn
	if r.ResponseElements != nil {
		si.Result = r.ResponseElements.ConsoleLogin
	}
	if v, ok := r.ServiceEventDetails[r.EventName]; ok && si.Result == "" && string(v) != "null" {
		if err := json.Unmarshal(v, &si.Result); err != nil {
			return nil, si, false
		}
	}
	if x := r.AdditionalEventData; x != nil {
		si.MFAUsed, si.LoginTo, si.SAMLProviderARN, si.CredentialType, si.UserName = x.MFAUsed, x.LoginTo, x.SAMLProviderARN, x.CredentialType, x.UserName
	}
	return rec, si, true
}

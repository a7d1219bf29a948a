package main

import (
	json "github.com/trailguard/trailguard/internal/fastjson"

	"github.com/trailguard/trailguard/shared/signin"
	"github.com/trailguard/trailguard/shared/trail"
)

// signInEvent is the part of an EventBridge sign-in event the checker reads, decoded in one
// pass with the sign-in fields typed: a sign-in is checked in a few microseconds, and fields
// the checker never reads (TLS details, session context…) are skipped, not copied. Its JSON
// names are trail's (TestLeanFieldsAreTrailFields): when this strict decode fails, the
// tolerant trail.DecodeEvent runs instead, and the two agree on every record both read.
type signInEvent struct {
	Source     string        `json:"source"`
	DetailType string        `json:"detail-type"`
	Account    string        `json:"account"`
	Detail     *signInRecord `json:"detail"`
}

type signInRecord struct {
	EventTime          string             `json:"eventTime"`
	EventSource        string             `json:"eventSource"`
	EventName          string             `json:"eventName"`
	EventType          string             `json:"eventType"`
	AWSRegion          string             `json:"awsRegion"`
	SourceIPAddress    string             `json:"sourceIPAddress"`
	UserAgent          string             `json:"userAgent"`
	ErrorMessage       string             `json:"errorMessage"`
	RequestID          string             `json:"requestID"`
	EventID            string             `json:"eventID"`
	RecipientAccountID string             `json:"recipientAccountId"`
	UserIdentity       trail.UserIdentity `json:"userIdentity"`
	// Read only to derive an event ID when the record has none (trail.DeriveEventID).
	RequestParameters json.RawMessage `json:"requestParameters"`
	ResponseElements  *struct {
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

// signIn is one decoded sign-in: the envelope fields that say who sent it, the record, what
// it says about the sign-in, and what of what the checks decide on could not be read
// ("field detail.x: problem"), for the unreadable-sign-in alert.
type signIn struct {
	source, detailType, account string
	rec                         *trail.Record
	si                          trail.SignIn
	unreadable                  []string
}

// decodeSignIn decodes a sign-in event. The error is only for an event that carries no record
// to read (not JSON, no detail object, no source or detail-type): everything else is a sign-in
// the checker reports on, with what it could read.
func decodeSignIn(raw []byte) (signIn, error) {
	if s, ok := decodeLean(raw); ok {
		return s, nil
	}
	return decodeFull(raw)
}

// decodeLean is the fast path: the strict one-pass decode of the fields the checker reads.
// ok is false when anything did not decode as typed; decodeFull then says what.
func decodeLean(raw []byte) (signIn, bool) {
	var ev signInEvent
	if err := json.Unmarshal(raw, &ev); err != nil || ev.Source == "" || ev.DetailType == "" || ev.Detail == nil {
		return signIn{}, false
	}
	r := ev.Detail
	rec := &trail.Record{
		EventTime: r.EventTime, EventSource: r.EventSource, EventName: r.EventName, EventType: r.EventType, AWSRegion: r.AWSRegion,
		SourceIPAddress: r.SourceIPAddress, UserAgent: r.UserAgent, ErrorMessage: r.ErrorMessage, RequestID: r.RequestID,
		EventID: r.EventID, RecipientAccountID: r.RecipientAccountID, UserIdentity: r.UserIdentity, RequestParameters: r.RequestParameters,
	}
	var si trail.SignIn
	if r.ResponseElements != nil {
		si.Result = r.ResponseElements.ConsoleLogin
	}
	if v, ok := r.ServiceEventDetails[r.EventName]; ok && si.Result == "" && string(v) != "null" {
		if err := json.Unmarshal(v, &si.Result); err != nil {
			return signIn{}, false
		}
	}
	if x := r.AdditionalEventData; x != nil {
		si.MFAUsed, si.LoginTo, si.SAMLProviderARN, si.CredentialType, si.UserName = x.MFAUsed, x.LoginTo, x.SAMLProviderARN, x.CredentialType, x.UserName
	}
	if rec.EventID == "" {
		rec.EventID, rec.EventIDDerived = trail.DeriveEventID(rec), true
	}
	return signIn{source: ev.Source, detailType: ev.DetailType, account: ev.Account,
		rec: rec, si: si, unreadable: unreadable(rec, nil)}, true
}

// decodeFull is the slow path: trail's tolerant decode, which drops what is mistyped and
// says so, then the sign-in fields.
func decodeFull(raw []byte) (signIn, error) {
	ev, err := trail.DecodeEvent(raw)
	if err != nil {
		return signIn{}, err
	}
	si, siErr := ev.Detail.SignIn()
	return signIn{source: ev.Source, detailType: ev.DetailType, account: ev.Account,
		rec: ev.Detail, si: si, unreadable: unreadable(ev.Detail, siErr)}, nil
}

// unreadable lists what the checks decide on that the record does not give, with paths
// under "detail" (shared/signin.Unreadable).
func unreadable(rec *trail.Record, siErr error) []string {
	return signin.Unreadable(rec, siErr, "detail")
}

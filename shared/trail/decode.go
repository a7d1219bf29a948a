package trail

import (
	stdjson "encoding/json"
	"reflect"
	"strings"

	json "github.com/trailguard/trailguard/internal/fastjson"
)

// Event is an EventBridge event as Lambda receives it, carrying one CloudTrail record in
// detail ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", …).
type Event struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     *Record  `json:"detail"`

	// OddFields lists envelope fields of an unexpected JSON type, dropped; the record's own
	// are in Detail.OddFields.
	OddFields []string `json:"-"`
}

// DecodeEvent decodes an EventBridge event carrying one CloudTrail record. It is the one
// entry point for EventBridge events: every function decodes the same way, so every function
// accepts the same records. The envelope must hold source, detail-type and a detail object;
// otherwise the error names the field. The record is decoded tolerantly (see DecodeRecord):
// whether it is usable is Event.Check's to say.
func DecodeEvent(data []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		ev = Event{}
		var odd []string
		if err := decodeTolerant(data, reflect.ValueOf(&ev).Elem(), "", &odd); err != nil {
			return nil, malformed("", err)
		}
		for _, p := range odd {
			if rest, ok := strings.CutPrefix(p, "detail."); ok && ev.Detail != nil {
				ev.Detail.OddFields = append(ev.Detail.OddFields, rest)
			} else {
				ev.OddFields = append(ev.OddFields, p)
			}
		}
	}
	envelope := func(field, want string) error {
		problem := "missing"
		if hasPath(ev.OddFields, field) {
			problem = "of an unexpected JSON type"
		}
		return malformed("", &FieldError{Field: field, Problem: problem + want})
	}
	switch {
	case ev.Source == "":
		return nil, envelope("source", "")
	case ev.DetailType == "":
		return nil, envelope("detail-type", "")
	case ev.Detail == nil:
		return nil, envelope("detail", " (want the CloudTrail record object)")
	}
	ev.Detail.fill()
	return &ev, nil
}

// DecodeRecord decodes one bare CloudTrail record (a line of a JSON-lines file, an element
// of a log file's Records array). It is strict and fast when the record is well typed; a
// field of an unexpected type is dropped and listed in OddFields, and the rest decoded. A
// missing eventID is derived (DeriveEventID). The error is for input that is not a JSON
// object; whether the record is usable is Record.Check's to say.
func DecodeRecord(data []byte) (*Record, error) {
	r := &Record{}
	if err := json.Unmarshal(data, r); err != nil {
		*r = Record{}
		if err := decodeTolerant(data, reflect.ValueOf(r).Elem(), "", &r.OddFields); err != nil {
			return nil, malformed("", err)
		}
	}
	r.fill()
	return r, nil
}

// unmarshal decodes with the fast decoder. Errors are rare, so on one the standard library
// decodes again: its messages name the JSON path of a mistyped field more reliably.
func unmarshal(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	if stdErr := stdjson.Unmarshal(data, v); stdErr != nil {
		err = stdErr
	}
	return malformed("", err)
}

// SignInSource is the EventBridge source of AWS sign-in events (console sign-ins and IAM
// Identity Center sign-ins, CloudTrail eventSource signin.amazonaws.com).
const SignInSource = "aws.signin"

// awsSourcePrefix starts every source only AWS can send: EventBridge refuses PutEvents
// entries whose source starts with it (NotAuthorizedForSourceException), whoever the caller.
const awsSourcePrefix = "aws."

// Reasons ForgedSource gives.
const (
	// ReasonForgedSource: the source is not AWS's; anyone allowed to put events on the bus
	// (the organization's accounts, by the bus policy) could have written the record.
	ReasonForgedSource = "forged source"
	// ReasonSignInSource: a console sign-in claimed by a source other than aws.signin. AWS
	// sends sign-ins from aws.signin only, so such an event was not delivered by a rule.
	ReasonSignInSource = "sign-in not from " + SignInSource
)

// IsAWSSource reports whether an EventBridge source can only have been sent by AWS: "aws."
// and a service name after it. PutEvents refuses the prefix to everyone, so any "aws.*" is
// AWS's, "aws.signin.evil" too (no one else could have sent it); "aws" alone, "aws.", a
// different case ("AWS.signin") or a look-alike ("aws-signin") are not.
func IsAWSSource(source string) bool {
	return len(source) > len(awsSourcePrefix) && strings.HasPrefix(source, awsSourcePrefix)
}

// IsSignInDetailType reports whether an EventBridge detail-type is a console sign-in's, in
// both spellings AWS uses ("Sign In" as delivered, "Signin" as the user guide writes it).
func IsSignInDetailType(detailType string) bool {
	return detailType == "AWS Console Sign In via CloudTrail" || detailType == "AWS Console Signin via CloudTrail"
}

// ForgedSource says why an EventBridge event cannot be taken as AWS's word ("" when it can):
// its source is not AWS's (ReasonForgedSource), or it claims a console sign-in from another
// source than aws.signin (ReasonSignInSource). It is the one rule every function taking
// CloudTrail events from EventBridge applies before it believes the record; the template's
// rules match the same sources, so a rejected event means a rule without that filter or an
// invocation that did not come from EventBridge.
//
// Such an event is rejected, not failed: it is logged (the source sanitized) and counted
// (metric ForgedSources), and neither retried nor recorded nor alerted on. An alert per
// forged event would hand whoever can put events a lever on the on-call phones and the SMS
// budget, with text they chose; the count is flood-proof and carries none of it, and an
// alarm on ForgedSources reaches the same people once.
func ForgedSource(source, detailType string) string {
	switch {
	case !IsAWSSource(source):
		return ReasonForgedSource
	case IsSignInDetailType(detailType) && source != SignInSource:
		return ReasonSignInSource
	}
	return ""
}

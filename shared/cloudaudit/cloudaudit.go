// Package cloudaudit turns the audit records of Huawei Cloud CTS (ListTraces v3), Alibaba
// Cloud ActionTrail (LookupEvents 2020-07-06) and Tencent Cloud CloudAudit (DescribeEvents
// 2019-03-19) into trailguard's one record model (shared/trail.Record, with Cloud set), so the
// sign-in checks (shared/signin), the rules (event.cloud in CEL) and the counters read them
// exactly as they read CloudTrail.
//
// The mapping, field by field:
//
//   - eventID: the cloud's own event ID (Huawei trace_id, Alibaba eventId, Tencent EventId).
//   - eventTime: RFC 3339 in UTC from epoch milliseconds (Huawei time, else record_time),
//     an ISO time (Alibaba eventTime) or a string of epoch seconds (Tencent EventTime).
//   - userIdentity.type: the primary account is Root (Huawei: the user is the account,
//     user.id = domain.id; Alibaba root-account; Tencent root), a sub-user IAMUser (Huawei IAM
//     user, Alibaba ram-user, Tencent CAMUser/SubAccount), a role session AssumedRole (Huawei
//     agency, Alibaba assumed-role, Tencent role); another type is kept as the cloud writes it.
//     principalId is the cloud's user ID, accountId the account (Huawei domain ID, Alibaba
//     account ID, Tencent owner UIN); recipientAccountId is the account too.
//   - Sign-ins and sign-outs take AWS's names, so one set of checks reads all clouds:
//     eventName ConsoleLogin (Huawei IAM login / loginFailed and the QR-code, OIDC and SSO
//     logins and their failures, Alibaba ConsoleSignin, Tencent
//     ConsoleLogin) or ConsoleLogout (Huawei IAM logout, Alibaba ConsoleSignout, Tencent
//     ConsoleLogout/Logout), eventType AwsConsoleSignIn, responseElements.ConsoleLogin
//     "Success" or "Failure" (Huawei loginFailed or a code of 400 and above, Alibaba an
//     errorCode, Tencent a non-zero ErrorCode), additionalEventData.MFAUsed "Yes"/"No" when the
//     record says (Alibaba isMFAChecked or the older mfaChecked; Huawei message.mfa; Tencent
//     requestParameters.mfa), absent when it does not. The cloud's own name is kept in
//     additionalEventData.cloudEventName.
//   - errorCode / errorMessage: the cloud's error (Huawei: the HTTP code from 400 and its
//     message; Tencent: the numeric ErrorCode as text).
//   - readOnly: Alibaba eventRW, Tencent actionType, Huawei read_only when present.
//   - resources: the touched resource as {ARN: the cloud's resource ID or name, type:
//     "<service>::<resource type>" (Huawei, Tencent) or the ACS type (Alibaba)}.
//   - requestParameters / responseElements: the cloud's request and response, decoded when
//     carried as JSON strings.
//
// Every cloud drifts: numbers arrive as strings and strings as numbers (read either way), JSON
// is carried inside strings and sometimes cut short. A part that does not parse is dropped and
// named in OddFields (Huawei "request"/"response"/"message", Tencent "CloudAuditEvent"), and
// the record is built from the wrapper fields, which always carry name, time, user, address and
// ID: a record is never lost for a broken payload. Whether it is usable is trail's Check.
package cloudaudit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/signin"
	"github.com/trailguard/trailguard/shared/trail"
)

// The clouds, as Record.Cloud and the -cloud flag name them.
const (
	Huawei  = "huawei"
	Alibaba = "alibaba"
	Tencent = "tencent"
)

// Clouds lists the clouds Normalize knows.
var Clouds = []string{Huawei, Alibaba, Tencent}

// Options is what a record does not say about itself and its source does.
type Options struct {
	// Region is the source's region: Huawei traces carry none (CTS is queried per region; IAM
	// sign-ins are in the central region's).
	Region string
}

// Normalize turns one event object, exactly as the cloud's API returns it in a page, into a
// trail.Record with Cloud set. The error is for input that is not a JSON object or lacks the
// cloud's event ID (nothing to deduplicate on); any other gap leaves fields empty, named in
// OddFields when a value was present but unreadable.
func Normalize(cloud string, raw []byte, opt Options) (*trail.Record, error) {
	m, ok := object(raw)
	if !ok {
		return nil, fmt.Errorf("%w: %s event is not a JSON object", trail.ErrMalformed, cloud)
	}
	var rec *trail.Record
	switch cloud {
	case Huawei:
		rec = huawei(m, opt)
	case Alibaba:
		rec = alibaba(m, opt)
	case Tencent:
		rec = tencent(m, opt)
	default:
		return nil, fmt.Errorf("cloudaudit: unknown cloud %q (want huawei, alibaba or tencent)", cloud)
	}
	rec.Cloud = cloud
	if rec.EventID == "" {
		return nil, fmt.Errorf("%w: %s event has no event ID (%s)", trail.ErrMalformed, cloud, idField[cloud])
	}
	return rec, nil
}

// idField names each cloud's event ID field, for errors.
var idField = map[string]string{Huawei: "trace_id", Alibaba: "eventId", Tencent: "EventId"}

// fields is a JSON object's members, read leniently.
type fields struct {
	m    map[string]json.RawMessage
	path string    // the object's path, for OddFields ("" at the top)
	odd  *[]string // where unreadable paths go
}

// object parses raw as a JSON object.
func object(raw []byte) (map[string]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false
	}
	return m, true
}

func (f fields) name(key string) string {
	if f.path == "" {
		return key
	}
	return f.path + "." + key
}

func (f fields) markOdd(key string) { *f.odd = append(*f.odd, f.name(key)) }

// str reads a scalar as text: a string as is, a number as written, a boolean as true/false;
// null or absent is "". An object or array is odd.
func (f fields) str(key string) string {
	raw, ok := f.m[key]
	if !ok {
		return ""
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return ""
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			f.markOdd(key)
		}
		return s
	case raw[0] == '{' || raw[0] == '[':
		f.markOdd(key)
		return ""
	default:
		return string(raw) // a number, true or false
	}
}

// obj reads a member that is an object, or a string holding one (JSON carried as a string).
// A string that is empty reads as absent; one that does not parse is odd. ok says whether an
// object was read.
func (f fields) obj(key string) (fields, bool) {
	raw, present := f.m[key]
	out := fields{path: f.name(key), odd: f.odd}
	if !present {
		return out, false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			f.markOdd(key)
			return out, false
		}
		raw = bytes.TrimSpace([]byte(s))
		if len(raw) == 0 {
			return out, false
		}
	}
	if string(raw) == "null" {
		return out, false
	}
	m, ok := object(raw)
	if !ok {
		f.markOdd(key)
		return out, false
	}
	out.m = m
	return out, true
}

// rawJSON is obj's object re-encoded, for a payload kept as JSON (requestParameters…); nil
// when absent or unreadable.
func (f fields) rawJSON(key string) json.RawMessage {
	o, _ := f.obj(key)
	return o.raw()
}

// raw re-encodes an object read by obj; nil when none was.
func (f fields) raw() json.RawMessage {
	if f.m == nil {
		return nil
	}
	b, err := json.Marshal(f.m)
	if err != nil {
		return nil
	}
	return b
}

// time reads a time given as epoch seconds or milliseconds (a number or a string of digits)
// or as text trail.ParseTime accepts (ISO 8601 / RFC 3339, the export form), and writes it in
// RFC 3339 UTC; "" when absent, odd when unreadable.
func (f fields) time(key string) string {
	s := f.str(key)
	if s == "" {
		return ""
	}
	if t, ok := parseTime(s); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	f.markOdd(key)
	return ""
}

// parseTime reads epoch seconds or milliseconds (by size: from 10^11 on, milliseconds —
// seconds that large are the year 5138) or any form trail.ParseTime accepts.
func parseTime(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return time.Time{}, false
		}
		if n >= 1e11 {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		return time.UnixMilli(int64(f * 1000)).UTC(), true
	}
	if t, err := trail.ParseTime(s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// yesNo reads "true"/"false"/true/false/"1"/"0"/"yes"/"no" as MFAUsed's "Yes"/"No"; ""
// when absent or anything else.
func yesNo(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y":
		return "Yes"
	case "false", "0", "no", "n":
		return "No"
	}
	return ""
}

// signIn fills the sign-in fields of the normalized model: eventName, eventType, the outcome
// (responseElements.ConsoleLogin, sign-ins only), additionalEventData with MFAUsed (when known),
// LoginTo and the cloud's own event name, merged over extra (the cloud's own additional data).
func signIn(rec *trail.Record, out bool, failed bool, mfa, loginTo, cloudName string, extra map[string]json.RawMessage) {
	rec.EventType = "AwsConsoleSignIn"
	data := map[string]any{}
	for k, v := range extra {
		data[k] = v
	}
	data["cloudEventName"] = cloudName
	if out {
		rec.EventName = signin.EventSignOut
		rec.ResponseElements = nil
	} else {
		rec.EventName = signin.EventSignIn
		result := "Success"
		if failed {
			result = "Failure"
		}
		rec.ResponseElements = json.RawMessage(`{"ConsoleLogin":"` + result + `"}`)
		if mfa != "" {
			data["MFAUsed"] = mfa
		}
		if loginTo != "" {
			data["LoginTo"] = loginTo
		}
	}
	b, err := json.Marshal(data)
	if err == nil {
		rec.AdditionalEventData = b
	}
}

// identityType maps a cloud's identity type onto trail's, case-insensitively; unknown types
// are kept as written.
func identityType(t string, m map[string]string) string {
	if v, ok := m[strings.ToLower(t)]; ok {
		return v
	}
	return t
}

// readOnly is a Bool from "Read"/"Write" (or a boolean).
func readOnly(s string) trail.Bool {
	switch strings.ToLower(s) {
	case "read", "true":
		return trail.Bool{Value: true, Present: true}
	case "write", "false":
		return trail.Bool{Value: false, Present: true}
	}
	return trail.Bool{}
}

package cloudaudit

import (
	"encoding/json"
	"strings"

	"github.com/trailguard/trailguard/shared/trail"
)

// tencentTypes maps CloudAudit userIdentity.type onto trail's.
var tencentTypes = map[string]string{
	"root": trail.IdentityRoot, "camuser": trail.IdentityIAMUser, "subaccount": trail.IdentityIAMUser,
	"assumedrole": trail.IdentityAssumedRole, "camrole": trail.IdentityAssumedRole, "role": trail.IdentityAssumedRole,
	"federated": trail.IdentityFederatedUser, "federateduser": trail.IdentityFederatedUser,
}

// tencentSignOuts are the sign-out event names taken (the console's sign-out record has not
// been seen in a published sample; both spellings are accepted).
var tencentSignOuts = map[string]bool{"ConsoleLogout": true, "Logout": true, "ConsoleSignout": true}

// tencent normalizes one CloudAudit event (DescribeEvents 2019-03-19: the wrapper's EventId,
// Username, EventTime (string of Unix seconds), ErrorCode (number), EventName, EventSource,
// RequestID, AccountID (number), SourceIPAddress, EventRegion, Resources, and CloudAuditEvent,
// the full record as a JSON string). The wrapper gives what it carries; the inner record adds
// the identity, user agent, request and read/write. A CloudAuditEvent that does not parse is
// named in OddFields and the record is built from the wrapper alone.
func tencent(m map[string]json.RawMessage, _ Options) *trail.Record {
	rec := &trail.Record{}
	w := fields{m: m, odd: &rec.OddFields}
	in, _ := w.obj("CloudAuditEvent")

	first := func(vals ...string) string {
		for _, v := range vals {
			if v != "" {
				return v
			}
		}
		return ""
	}
	rec.EventID = first(w.str("EventId"), in.str("eventID"))
	rec.EventTime = first(w.time("EventTime"), in.time("eventTime"))
	rec.EventName = first(w.str("EventName"), in.str("eventName"))
	rec.EventSource = first(w.str("EventSource"), in.str("eventSource"))
	rec.AWSRegion = first(w.str("EventRegion"), in.str("eventRegion"), w.str("ResourceRegion"))
	rec.SourceIPAddress = first(w.str("SourceIPAddress"), in.str("sourceIPAddress"))
	rec.RequestID = first(w.str("RequestID"), in.str("requestID"))
	rec.EventType = in.str("eventType")
	rec.EventVersion = in.str("eventVersion")
	rec.UserAgent = in.str("userAgent")
	rec.ReadOnly = readOnly(in.str("actionType"))
	account := w.str("AccountID")

	if u, ok := in.obj("userIdentity"); ok {
		rec.UserIdentity = trail.UserIdentity{
			Type:        identityType(u.str("type"), tencentTypes),
			PrincipalID: u.str("principalId"), AccountID: first(u.str("accountId"), account),
			UserName: u.str("userName"), AccessKeyID: u.str("secretId"),
		}
	} else {
		// The wrapper's user: the name and the account; the type only when the name says root.
		rec.UserIdentity = trail.UserIdentity{UserName: w.str("Username"), AccountID: account, AccessKeyID: w.str("SecretId")}
		if rec.UserIdentity.UserName == "root" {
			rec.UserIdentity.Type = trail.IdentityRoot
		}
	}
	if rec.UserIdentity.Type == trail.IdentityRoot && rec.UserIdentity.PrincipalID == "" {
		rec.UserIdentity.PrincipalID = rec.UserIdentity.AccountID
	}
	if rec.UserIdentity.Type == trail.IdentityRoot && rec.UserIdentity.UserName == "root" {
		rec.UserIdentity.UserName = ""
	}
	rec.RecipientAccountID = first(account, rec.UserIdentity.AccountID)

	errCode := first(w.str("ErrorCode"), in.str("errorCode"))
	if errCode == "0" {
		errCode = ""
	}
	rec.ErrorCode = errCode
	rec.ErrorMessage = first(in.str("errorMessage"), in.str("apiErrorMessage"))
	if res, ok := w.obj("Resources"); ok {
		if name := res.str("ResourceName"); name != "" {
			rec.Resources = []trail.Resource{{ARN: name, AccountID: rec.RecipientAccountID,
				Type: strings.TrimSuffix(rec.EventSource, ".tencentcloudapi.com") + "::" + res.str("ResourceType")}}
		}
	}
	params, _ := in.obj("requestParameters")
	switch {
	case rec.EventName == "ConsoleLogin":
		signIn(rec, false, errCode != "", yesNo(params.str("mfa")), "", rec.EventName, nil)
	case tencentSignOuts[rec.EventName]:
		signIn(rec, true, false, "", "", rec.EventName, nil)
	default:
		rec.RequestParameters = params.raw()
		rec.ResponseElements = in.rawJSON("responseElements")
	}
	return rec
}

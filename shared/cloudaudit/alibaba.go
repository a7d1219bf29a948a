package cloudaudit

import (
	"encoding/json"
	"strings"

	"github.com/trailguard/trailguard/shared/trail"
)

// alibabaTypes maps ActionTrail userIdentity.type onto trail's.
var alibabaTypes = map[string]string{
	"root-account": trail.IdentityRoot, "ram-user": trail.IdentityIAMUser,
	"assumed-role": trail.IdentityAssumedRole, "aliyun-service": trail.IdentityAWSService,
	"system": trail.IdentityAWSService,
}

// alibaba normalizes one ActionTrail event (LookupEvents 2020-07-06: an object with eventId,
// eventName, eventTime ISO, acsRegion, eventRW, sourceIpAddress, userIdentity{type,
// principalId, accountId, userName, accessKeyId}, additionalEventData, requestParameters,
// errorCode, errorMessage, resourceType, resourceName).
func alibaba(m map[string]json.RawMessage, _ Options) *trail.Record {
	rec := &trail.Record{}
	f := fields{m: m, odd: &rec.OddFields}
	rec.EventID = f.str("eventId")
	rec.EventTime = f.time("eventTime")
	rec.EventName = f.str("eventName")
	rec.EventSource = f.str("eventSource")
	rec.EventType = f.str("eventType")
	rec.EventVersion = f.str("eventVersion")
	rec.AWSRegion = f.str("acsRegion")
	rec.SourceIPAddress = f.str("sourceIpAddress")
	rec.UserAgent = f.str("userAgent")
	rec.RequestID = f.str("requestId")
	rec.APIVersion = f.str("apiVersion")
	rec.ErrorCode = f.str("errorCode")
	rec.ErrorMessage = f.str("errorMessage")
	rec.ReadOnly = readOnly(f.str("eventRW"))
	if u, ok := f.obj("userIdentity"); ok {
		rec.UserIdentity = trail.UserIdentity{
			Type:        identityType(u.str("type"), alibabaTypes),
			PrincipalID: u.str("principalId"), AccountID: u.str("accountId"),
			UserName: u.str("userName"), AccessKeyID: u.str("accessKeyId"),
		}
		if rec.UserIdentity.Type == trail.IdentityRoot && rec.UserIdentity.UserName == "root" {
			rec.UserIdentity.UserName = "" // trail names the root "root" itself
		}
	}
	rec.RecipientAccountID = f.str("recipientAccountId")
	if rec.RecipientAccountID == "" {
		rec.RecipientAccountID = rec.UserIdentity.AccountID
	}
	if rtype, names := f.str("resourceType"), f.str("resourceName"); names != "" {
		for _, n := range strings.Split(names, ";") {
			if n = strings.TrimSpace(n); n != "" {
				rec.Resources = append(rec.Resources, trail.Resource{ARN: n, AccountID: rec.RecipientAccountID, Type: rtype})
			}
		}
	}
	rec.RequestParameters = f.rawJSON("requestParameters")
	rec.ResponseElements = f.rawJSON("responseElements")
	extra, _ := f.obj("additionalEventData")
	switch rec.EventName {
	case "ConsoleSignin", "ConsoleSignout":
		// MFA: isMFAChecked in the current logs, mfaChecked in older ones; a string or a bool.
		mfa := yesNo(extra.str("isMFAChecked"))
		if mfa == "" {
			mfa = yesNo(extra.str("mfaChecked"))
		}
		signIn(rec, rec.EventName == "ConsoleSignout", rec.ErrorCode != "", mfa, extra.str("callbackUrl"), rec.EventName, extra.m)
	default:
		rec.AdditionalEventData = extra.raw()
	}
	return rec
}

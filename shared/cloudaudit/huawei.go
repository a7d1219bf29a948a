package cloudaudit

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/trailguard/trailguard/shared/trail"
)

// huaweiTypes maps CTS user types onto trail's (the account itself is told by its ID, see
// huawei).
var huaweiTypes = map[string]string{
	"user": trail.IdentityIAMUser, "iamuser": trail.IdentityIAMUser,
	"assumedagency": trail.IdentityAssumedRole, "agency": trail.IdentityAssumedRole,
	"domain": trail.IdentityRoot, "root": trail.IdentityRoot,
}

// huawei normalizes one CTS trace (ListTraces v3: trace_id, trace_name, trace_type, time and
// record_time in epoch ms, user{id,name,domain{id,name}}, source_ip, service_type,
// resource_type/id/name, code, message, request, response as strings).
func huawei(m map[string]json.RawMessage, opt Options) *trail.Record {
	rec := &trail.Record{}
	f := fields{m: m, odd: &rec.OddFields}
	rec.EventID = f.str("trace_id")
	rec.EventTime = f.time("time")
	if rec.EventTime == "" {
		rec.EventTime = f.time("record_time")
	}
	name := f.str("trace_name")
	rec.EventName = name
	service := f.str("service_type")
	rec.EventSource = service
	rec.EventType = f.str("trace_type")
	rec.AWSRegion = opt.Region
	rec.SourceIPAddress = f.str("source_ip")
	rec.RequestID = f.str("request_id")
	rec.APIVersion = f.str("api_version")
	rec.UserAgent = f.str("user_agent")
	rec.ReadOnly = readOnly(f.str("read_only"))

	// user: an object in v3, a JSON string in older answers.
	if u, ok := f.obj("user"); ok {
		id, userName := u.str("id"), u.str("name")
		var domainID, domainName string
		if d, ok := u.obj("domain"); ok {
			domainID, domainName = d.str("id"), d.str("name")
		}
		rec.UserIdentity = trail.UserIdentity{PrincipalID: id, UserName: userName, AccountID: domainID,
			AccessKeyID: u.str("access_key_id")}
		switch {
		case id != "" && id == domainID, id == "" && userName != "" && userName == domainName:
			rec.UserIdentity.Type = trail.IdentityRoot // the account itself, not one of its IAM users
		case u.str("type") != "":
			rec.UserIdentity.Type = identityType(u.str("type"), huaweiTypes)
		case id != "" || userName != "":
			rec.UserIdentity.Type = trail.IdentityIAMUser
		}
		rec.RecipientAccountID = domainID
	}

	code := f.str("code")
	message := f.str("message")
	status, _ := strconv.Atoi(code)
	if status >= 400 {
		rec.ErrorCode, rec.ErrorMessage = code, message
	}
	if id, rname, rtype := f.str("resource_id"), f.str("resource_name"), f.str("resource_type"); id != "" || rname != "" {
		arn := id
		if arn == "" {
			arn = rname
		}
		rec.Resources = []trail.Resource{{ARN: arn, AccountID: rec.RecipientAccountID, Type: service + "::" + rtype}}
	}

	if strings.EqualFold(service, "IAM") {
		if kind, ok := huaweiSignIns[name]; ok {
			// message carries a JSON object on some traces (the reason, the MFA used); it is
			// read when it parses and ignored when it is plain text.
			var msg fields
			if looksJSON(message) {
				msg, _ = f.obj("message")
			}
			failed := kind == huaweiFailed || status >= 400
			if failed && rec.ErrorCode == "" {
				rec.ErrorCode = name
			}
			if failed && msg.m != nil && msg.str("reason") != "" {
				rec.ErrorMessage = msg.str("reason")
			}
			mfa := ""
			if msg.m != nil {
				if v, ok := msg.m["mfa"]; ok && string(v) != "null" {
					mfa = "Yes"
					if s := msg.str("mfa"); s == "" || yesNo(s) == "No" || strings.EqualFold(s, "none") {
						mfa = "No"
					}
				}
			}
			signIn(rec, kind == huaweiSignOut, failed, mfa, "", name, nil)
			return rec
		}
	}
	rec.RequestParameters = f.rawJSON("request")
	rec.ResponseElements = f.rawJSON("response")
	return rec
}

// The IAM trace names of sign-ins, failed sign-ins and sign-outs, from "Key IAM Operations
// Supported by CTS" (https://support.huaweicloud.com/intl/en-us/usermanual-iam/iam_01_0012.html,
// resource type user): password logins, QR-code logins, OpenID Connect and SSO (federated)
// logins. Each goes through the same sign-in checks, so a QR-code or SSO login from outside
// the allowlist is alerted like a password login.
const (
	huaweiSuccess = iota
	huaweiFailed
	huaweiSignOut
)

var huaweiSignIns = map[string]int{
	"login": huaweiSuccess, "loginFailed": huaweiFailed, "logout": huaweiSignOut,
	"scanQRCodeLogin": huaweiSuccess, "scanQRCodeLoginFailed": huaweiFailed,
	"oidcLoginSuccess": huaweiSuccess, "oidcLoginFailed": huaweiFailed,
	"iamUserSsoLoginSuccess": huaweiSuccess, "iamUserSsoLoginFailed": huaweiFailed,
}

// looksJSON: a message that starts like an object is meant as JSON; plain text is not odd.
func looksJSON(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "{")
}

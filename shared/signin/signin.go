// Package signin holds trailguard's sign-in checks — the allowlist, failed sign-ins, root
// (primary account) sign-ins and sign-ins without MFA — so AWS sign-ins (functions/logincheck)
// and the sign-ins and sign-outs of the other clouds (functions/cloudpoll, records normalized
// by shared/cloudaudit) are judged by one piece of code against one allowlist (ALLOWED_CIDRS).
//
// The checks read trail's record model: the source address, userIdentity.type (Root,
// IAMUser…), the outcome (responseElements.ConsoleLogin "Success"/"Failure", or an IAM
// Identity Center serviceEventDetails entry) and additionalEventData.MFAUsed ("Yes"/"No"),
// through trail.Record.SignIn. A sign-out (an event named in SignOutEvents) is checked against
// the allowlist only: who signs out from an untrusted address was signed in from one.
package signin

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/trail"
)

// Alert kinds the checks raise.
const (
	KindUntrustedSource = "untrusted-source-ip"
	KindFailedSignIn    = "failed-sign-in"
	KindRootSignIn      = "root-sign-in"
	KindWithoutMFA      = "sign-in-without-mfa"
	// KindUnreadable: a sign-in whose address, time, caller or outcome cannot be read. It is
	// raised at once with whatever could be read, so no sign-in passes unheard.
	KindUnreadable = "unreadable-sign-in"
)

// Event names of the normalized model. shared/cloudaudit maps every cloud's console sign-in
// (Huawei login/loginFailed, Alibaba ConsoleSignin, Tencent ConsoleLogin) onto ConsoleLogin
// and every sign-out (Huawei logout, Alibaba ConsoleSignout, Tencent's sign-out) onto
// ConsoleLogout, AWS's names, so one set of checks and rules reads them all.
const (
	EventSignIn  = "ConsoleLogin"
	EventSignOut = "ConsoleLogout"
)

// SignOutEvents are the event names checked as sign-outs (allowlist only): the normalized
// ConsoleLogout, and IAM Identity Center's Logout.
var SignOutEvents = map[string]bool{EventSignOut: true, "Logout": true}

// IsSignOut reports whether the record is a sign-out.
func IsSignOut(rec *trail.Record) bool { return SignOutEvents[rec.EventName] }

// Allowlist is the part of ipallow.List the checks need.
type Allowlist interface {
	Allowed(source string) bool
}

// Checker runs the sign-in checks. The untrusted-source-ip check is always on; the others
// are switched by the function's configuration (ALERT_FAILED_SIGN_IN, ALERT_ROOT_SIGN_IN,
// ALERT_SIGN_IN_WITHOUT_MFA).
type Checker struct {
	Allow                                      Allowlist
	FailedSignIn, RootSignIn, SignInWithoutMFA bool
}

// Check returns the alerts one checked sign-in (or sign-out) record raises, in a fixed order;
// si is what the record says about the sign-in (rec.SignIn()), unreadable what the checks
// need that could not be read (one unreadable-sign-in alert names it all, see Unreadable).
// The address is checked whenever it could be read; the other checks run on what was read.
func (c *Checker) Check(rec *trail.Record, si trail.SignIn, unreadable ...string) []alert.Alert {
	out := IsSignOut(rec)
	what, action := "sign-in", "login"
	if out {
		what, action = "sign-out", "logout"
	}
	base := Base(rec, si)
	alerts := make([]alert.Alert, 0, 2)
	add := func(kind string, sev alert.Severity, title string, details ...alert.Detail) *alert.Alert {
		a := base
		a.Kind, a.Severity, a.Title = kind, sev, title
		a.Details = append(append(make([]alert.Detail, 0, len(base.Details)+len(details)), base.Details...), details...)
		alerts = append(alerts, a)
		return &alerts[len(alerts)-1]
	}
	if len(unreadable) > 0 {
		a := add(KindUnreadable, alert.High, "unreadable "+what,
			alert.Detail{Label: "Unreadable", Value: strings.Join(unreadable, "; ")},
			alert.Detail{Label: "Action", Value: action + "; check this " + what + " by hand in " + auditLog(rec)})
		a.FingerprintExtra = unreadable // a different gap is a different finding
	}
	if rec.SourceIPAddress != "" && !c.Allow.Allowed(rec.SourceIPAddress) {
		add(KindUntrustedSource, alert.High, "untrusted "+what,
			alert.Detail{Label: "Reason", Value: fmt.Sprintf("source %q is not in ALLOWED_CIDRS or ALLOWED_SOURCES", rec.SourceIPAddress)},
			alert.Detail{Label: "Action", Value: action})
	}
	if out {
		return alerts
	}
	if c.FailedSignIn && si.Failed() {
		add(KindFailedSignIn, alert.Medium, "failed sign-in",
			alert.Detail{Label: "Error", Value: rec.ErrorMessage})
	}
	if c.RootSignIn && rec.UserIdentity.Type == trail.IdentityRoot {
		add(KindRootSignIn, alert.High, "root sign-in")
	}
	if c.SignInWithoutMFA && judgedOnMFA(rec, si) && si.Result == "Success" && strings.EqualFold(si.MFAUsed, "No") {
		add(KindWithoutMFA, alert.Medium, "sign-in without MFA")
	}
	return alerts
}

// auditLog names where a person reads the record by hand.
func auditLog(rec *trail.Record) string {
	switch rec.Cloud {
	case "huawei":
		return "Huawei Cloud CTS"
	case "alibaba":
		return "Alibaba Cloud ActionTrail"
	case "tencent":
		return "Tencent Cloud CloudAudit"
	}
	return "CloudTrail"
}

// judgedOnMFA: only IAM users and root sign in with credentials the cloud holds; federated
// sign-ins (IAM Identity Center, SAML, OIDC) have MFA enforced by their identity provider and
// CloudTrail records MFAUsed "No" for them, so judging them would only make noise.
func judgedOnMFA(rec *trail.Record, si trail.SignIn) bool {
	t := rec.UserIdentity.Type
	return (t == trail.IdentityIAMUser || t == trail.IdentityRoot) && si.SAMLProviderARN == ""
}

// Base is the alert with the fields every kind shares: who, from where, when, the cloud and
// its event ID, the outcome (in every kind's fingerprint) and the sign-in's details.
func Base(rec *trail.Record, si trail.SignIn) alert.Alert {
	a := alert.AboutSignIn(rec, si.Result)
	if si.UserName != "" && rec.UserIdentity.UserName == "" {
		a.User = si.UserName // Identity Center: the name typed, not the store's user ID
	}
	a.Details = make([]alert.Detail, 0, 5)
	a.Details = append(a.Details, alert.Detail{Label: "Identity type", Value: rec.UserIdentity.Type})
	if si.Result != "" {
		a.Details = append(a.Details, alert.Detail{Label: "Result", Value: si.Result})
	}
	if si.MFAUsed != "" {
		a.Details = append(a.Details, alert.Detail{Label: "MFA used", Value: si.MFAUsed})
	}
	if si.CredentialType != "" {
		a.Details = append(a.Details, alert.Detail{Label: "Credential type", Value: si.CredentialType})
	}
	if si.LoginTo != "" {
		a.Details = append(a.Details, alert.Detail{Label: "Login to", Value: si.LoginTo})
	}
	return a
}

// Unreadable lists what the checks decide on that the record does not give: a source address,
// a usable record (trail's Check), an identity type, the sign-in fields (siErr), each as
// "field <prefix>.<path>: problem" (prefix "detail" for an EventBridge event, "" for a bare
// record). Odd fields no check reads (userAgent: 5) are not listed: they are logged and
// counted only.
func Unreadable(rec *trail.Record, siErr error, prefix string) []string {
	var out []string
	path := func(field string) string {
		if prefix == "" || field == "" {
			return prefix + field
		}
		return prefix + "." + field
	}
	add := func(field, problem string) {
		out = append(out, (&trail.FieldError{Field: path(field), Problem: problem}).Error())
	}
	if rec.SourceIPAddress == "" {
		add("sourceIPAddress", oddOr(rec, "sourceIPAddress", "missing"))
	}
	var fe *trail.FieldError
	if err := rec.CheckUnder(prefix); errors.As(err, &fe) {
		out = append(out, fe.Error())
	}
	if rec.UserIdentity.Type == "" && rec.Usable() {
		add("userIdentity.type", oddOr(rec, "userIdentity.type", "missing"))
	}
	for _, p := range rec.OddFields {
		if p != "sourceIPAddress" && p != "eventTime" && p != "eventName" && p != "userIdentity" && p != "userIdentity.type" && decides(p) {
			add(p, "of an unexpected JSON type (dropped)")
		}
	}
	if siErr != nil {
		if errors.As(siErr, &fe) {
			out = append(out, (&trail.FieldError{Field: path(fe.Field), Problem: fe.Problem}).Error())
		} else {
			add("", siErr.Error())
		}
	}
	return out
}

// decides reports whether a sign-in check reads the field: the sign-in's time, name and
// address, and the identity fields that say who signed in (root, an IAM user, whom to name).
func decides(path string) bool {
	switch path {
	case "eventTime", "eventName", "sourceIPAddress", "userIdentity", "userIdentity.type", "userIdentity.arn",
		"userIdentity.principalId", "userIdentity.userName", "userIdentity.accountId", "userIdentity.invokedBy",
		"userIdentity.onBehalfOf", "userIdentity.onBehalfOf.userId":
		return true
	}
	return false
}

func oddOr(rec *trail.Record, field, problem string) string {
	for _, p := range rec.OddFields {
		if p == field {
			return "of an unexpected JSON type (dropped)"
		}
	}
	return problem
}

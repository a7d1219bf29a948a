package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/trail"
)

// Alert kinds raised by logincheck.
const (
	KindUntrustedSource = "untrusted-source-ip"
	KindFailedSignIn    = "failed-sign-in"
	KindRootSignIn      = "root-sign-in"
	KindWithoutMFA      = "sign-in-without-mfa"
	// KindUnreadable: a sign-in whose address, time, caller or outcome cannot be read. It is
	// raised at once with whatever could be read, so no sign-in passes unheard.
	KindUnreadable = "unreadable-sign-in"
)

// allowlist is the part of ipallow.List the checker needs.
type allowlist interface {
	Allowed(source string) bool
}

// publisher delivers the alerts of one event.
type publisher interface {
	Publish(ctx context.Context, alerts []alert.Alert) error
}

// Handler checks sign-in events. It is built once per container and used for every event.
type Handler struct {
	Allow   allowlist
	Checked map[string]bool // eventName → checked
	// Optional kinds; untrusted-source-ip is always on.
	FailedSignIn, RootSignIn, SignInWithoutMFA bool
	Alerts                                     publisher
	Log                                        *slog.Logger
	Metrics                                    counter
}

// counter is the part of metrics.Counters the handler uses.
type counter interface {
	Add(name string, n int)
}

// Handle is the Lambda entry point: one EventBridge event. An event that carries no record
// (not JSON, no detail object) is an error, so Lambda retries it and it ends in the dead-letter
// queue. A sign-in record is always reported on: checked on its address if that can be read,
// and an unreadable-sign-in alert for what cannot. An event of a name not checked is logged
// and ignored. An event whose source cannot speak for a sign-in (signInSource) is rejected:
// logged and counted, not checked, not retried.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) error {
	log := logging.ForInvocation(ctx, h.Log)
	s, err := decodeSignIn(raw)
	if err != nil {
		return h.malformed(ctx, log, err)
	}
	if reason := signInSource(s.source, s.detailType); reason != "" {
		return h.rejected(ctx, log, s, reason)
	}
	rec := s.rec
	log = log.With("event_id", rec.EventID, "event_name", rec.EventName)
	if len(rec.OddFields) > 0 {
		h.Metrics.Add("OddFields", len(rec.OddFields))
		log.WarnContext(ctx, "fields of an unexpected type dropped", "odd_fields", rec.OddFields)
	}
	if rec.EventName != "" && !h.Checked[rec.EventName] {
		log.InfoContext(ctx, "event not checked", "decision", "ignore")
		return nil
	}
	h.Metrics.Add("EventsChecked", 1)
	alerts := h.Check(rec, s.si, s.unreadable...)
	if len(s.unreadable) > 0 {
		h.Metrics.Add("UnreadableSignIns", 1)
		log.WarnContext(ctx, "sign-in not fully readable", "unreadable", s.unreadable)
	}
	if len(alerts) == 0 {
		log.InfoContext(ctx, "sign-in ok", "decision", "pass", "source_ip", rec.SourceIPAddress)
		return nil
	}
	for _, a := range alerts {
		log.InfoContext(ctx, "alert raised", "decision", "alert", "kind", a.Kind, "severity", a.Severity, "source_ip", rec.SourceIPAddress)
	}
	if err := h.Alerts.Publish(ctx, alerts); err != nil {
		return fmt.Errorf("event %s: %w", rec.EventID, err)
	}
	return nil
}

// signInSource says why an event cannot be AWS's word for a sign-in ("" when it can): a
// source that is not AWS's, or any source but aws.signin (trail.ForgedSource; the template's
// rule takes aws.signin only).
func signInSource(source, detailType string) string {
	if reason := trail.ForgedSource(source, detailType); reason != "" {
		return reason
	}
	if source != trail.SignInSource {
		return trail.ReasonSignInSource
	}
	return ""
}

// rejected logs and counts an event whose source cannot speak for a sign-in. It raises no
// alert and returns no error: a forged event is no delivery failure to retry, and an alert
// per forged event would let whoever can put events on the bus flood the on-call phones
// (trail.ForgedSource says why the count, ForgedSources, is what is alarmed on). What the
// sender chose is logged sanitized; the envelope's account is the one that put the event.
func (h *Handler) rejected(ctx context.Context, log *slog.Logger, s signIn, reason string) error {
	h.Metrics.Add("ForgedSources", 1)
	log.WarnContext(ctx, "event rejected", "decision", "rejected", "reason", reason,
		"source", alert.Clean(s.source, maxLoggedSource), "detail_type", alert.Clean(s.detailType, maxLoggedSource),
		"account", alert.Clean(s.account, maxLoggedSource))
	return nil
}

// maxLoggedSource caps the envelope text a rejected event's log line repeats: EventBridge
// allows 256 characters of source, an attacker's choice.
const maxLoggedSource = 64

// malformed logs and counts an event that carries no record and returns its error, so Lambda
// retries it and, failing again, routes it to the dead-letter queue.
func (h *Handler) malformed(ctx context.Context, log *slog.Logger, err error) error {
	h.Metrics.Add("MalformedEvents", 1)
	log.ErrorContext(ctx, "malformed event", "decision", "reject", "error", err.Error())
	return err
}

// Check returns the alerts one checked sign-in record raises, in a fixed order; si is what
// the record says about the sign-in (rec.SignIn()), unreadable what the checks need that could
// not be read (one unreadable-sign-in alert names it all). The address is checked whenever it
// could be read; the other checks run on what was read.
func (h *Handler) Check(rec *trail.Record, si trail.SignIn, unreadable ...string) []alert.Alert {
	base := h.base(rec, si)
	out := make([]alert.Alert, 0, 2)
	add := func(kind string, sev alert.Severity, title string, details ...alert.Detail) *alert.Alert {
		a := base
		a.Kind, a.Severity, a.Title = kind, sev, title
		a.Details = append(append(make([]alert.Detail, 0, len(base.Details)+len(details)), base.Details...), details...)
		out = append(out, a)
		return &out[len(out)-1]
	}
	if len(unreadable) > 0 {
		a := add(KindUnreadable, alert.High, "unreadable sign-in",
			alert.Detail{Label: "Unreadable", Value: strings.Join(unreadable, "; ")},
			alert.Detail{Label: "Action", Value: "login; check this sign-in by hand in CloudTrail"})
		a.FingerprintExtra = unreadable // a different gap is a different finding
	}
	if rec.SourceIPAddress != "" && !h.Allow.Allowed(rec.SourceIPAddress) {
		add(KindUntrustedSource, alert.High, "untrusted sign-in",
			alert.Detail{Label: "Reason", Value: fmt.Sprintf("source %q is not in ALLOWED_CIDRS or ALLOWED_SOURCES", rec.SourceIPAddress)},
			alert.Detail{Label: "Action", Value: "login"})
	}
	if h.FailedSignIn && si.Failed() {
		add(KindFailedSignIn, alert.Medium, "failed sign-in",
			alert.Detail{Label: "Error", Value: rec.ErrorMessage})
	}
	if h.RootSignIn && rec.UserIdentity.Type == trail.IdentityRoot {
		add(KindRootSignIn, alert.High, "root sign-in")
	}
	if h.SignInWithoutMFA && judgedOnMFA(rec, si) && si.Result == "Success" && strings.EqualFold(si.MFAUsed, "No") {
		add(KindWithoutMFA, alert.Medium, "sign-in without MFA")
	}
	return out
}

// judgedOnMFA: only IAM users and root sign in with AWS-held credentials; federated
// sign-ins (IAM Identity Center, SAML, OIDC) have MFA enforced by their identity provider and
// CloudTrail records MFAUsed "No" for them, so judging them would only make noise.
func judgedOnMFA(rec *trail.Record, si trail.SignIn) bool {
	t := rec.UserIdentity.Type
	return (t == trail.IdentityIAMUser || t == trail.IdentityRoot) && si.SAMLProviderARN == ""
}

// base is the alert with the fields every kind shares.
func (h *Handler) base(rec *trail.Record, si trail.SignIn) alert.Alert {
	a := alert.AboutSignIn(rec, si.Result) // the outcome is in every kind's fingerprint
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

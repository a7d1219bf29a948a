package main

import (
	"context"
	"fmt"
	"log/slog"

	json "github.com/trailguard/trailguard/internal/fastjson"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/signin"
	"github.com/trailguard/trailguard/shared/trail"
	"github.com/trailguard/trailguard/shared/turnaway"
)

// Alert kinds raised by logincheck (shared/signin's, which cloudpoll raises too).
const (
	KindUntrustedSource = signin.KindUntrustedSource
	KindFailedSignIn    = signin.KindFailedSignIn
	KindRootSignIn      = signin.KindRootSignIn
	KindWithoutMFA      = signin.KindWithoutMFA
	KindUnreadable      = signin.KindUnreadable
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
		return turnaway.Malformed(ctx, log, h.Metrics, err)
	}
	if reason := signInSource(s.source, s.detailType); reason != "" {
		return turnaway.Forged(ctx, log, h.Metrics, s.source, s.detailType, s.account, reason)
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

// Check returns the alerts one checked sign-in record raises, in a fixed order (shared/signin's
// checks, with this handler's switches); si is what the record says about the sign-in
// (rec.SignIn()), unreadable what the checks need that could not be read.
func (h *Handler) Check(rec *trail.Record, si trail.SignIn, unreadable ...string) []alert.Alert {
	c := signin.Checker{Allow: h.Allow, FailedSignIn: h.FailedSignIn, RootSignIn: h.RootSignIn, SignInWithoutMFA: h.SignInWithoutMFA}
	return c.Check(rec, si, unreadable...)
}

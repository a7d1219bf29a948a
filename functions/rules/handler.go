package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
	"github.com/trailguard/trailguard/shared/turnaway"
)

// detector is the part of rules.Detector the handler needs.
type detector interface {
	Detect(ctx context.Context, rec *trail.Record) ([]alert.Alert, error)
}

// publisher delivers the alerts of one event.
type publisher interface {
	Publish(ctx context.Context, alerts []alert.Alert) error
}

// counter is the part of metrics.Counters the handler uses.
type counter interface {
	Add(name string, n int)
}

// digestFlusher is the durable alert.Sender's flush of flood digests; a publisher without it
// (the local printer) has none to flush.
type digestFlusher interface {
	FlushDigests(ctx context.Context, now time.Time) (alert.Flushed, error)
}

// FlushDigestsAction is the scheduled event that sends the digest of every flood of alerts
// that stopped: {"action":"flush-digests"} (template.yaml's schedule sends it every 5
// minutes), so a person hears how many alerts were folded even when no later alert of the
// flood comes to carry the digest (alert.Sender.FlushDigests).
const FlushDigestsAction = "flush-digests"

// Handler runs every enabled rule over the CloudTrail record of one EventBridge event. It is
// built once per container and used for every event.
type Handler struct {
	Rules   detector
	Alerts  publisher
	Log     *slog.Logger
	Metrics counter
	Now     func() time.Time // clock of the digest flush; nil means time.Now
}

// cloudTrailDetailTypes end every EventBridge detail-type that carries a CloudTrail record:
// "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", "AWS Service Event via
// CloudTrail" …
const cloudTrailDetailTypes = " via CloudTrail"

// Handle is the Lambda entry point. An event whose record is unusable (trail.Record.Check) or
// not a CloudTrail record is an error naming the field, so Lambda
// retries it and it ends in the dead-letter queue. A rule that cannot be evaluated on the
// event is an error too, after the other rules' alerts are published: the retry publishes
// nothing twice (the alert layer deduplicates by rule and event ID) and the event is not lost.
// An event whose source cannot speak for AWS (trail.ForgedSource) is rejected: logged and
// counted, not evaluated, not retried.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) error {
	log := logging.ForInvocation(ctx, h.Log)
	var action struct {
		Action string `json:"action"`
	}
	// A CloudTrail envelope has no top-level "action": only the schedule's own input takes this
	// path (the byte check spares the events a second decode).
	if bytes.Contains(raw, []byte(`"action"`)) && json.Unmarshal(raw, &action) == nil && action.Action == FlushDigestsAction {
		return h.FlushDigests(ctx, log)
	}
	ev, err := trail.DecodeEvent(raw)
	if err == nil {
		if reason := trail.ForgedSource(ev.Source, ev.DetailType); reason != "" {
			return turnaway.Forged(ctx, log, h.Metrics, ev.Source, ev.DetailType, ev.Account, reason)
		}
	}
	if err == nil && !strings.HasSuffix(ev.DetailType, cloudTrailDetailTypes) {
		err = fmt.Errorf("%w: %w", trail.ErrMalformed, &trail.FieldError{Field: "detail-type",
			Problem: fmt.Sprintf("%q does not carry a CloudTrail record (want one ending in %q)", ev.DetailType, cloudTrailDetailTypes)})
	}
	if err != nil {
		return turnaway.Malformed(ctx, log, h.Metrics, err)
	}
	rec := ev.Detail
	log = log.With("event_id", rec.EventID, "event_name", rec.EventName)
	if odd := len(rec.OddFields) + len(ev.OddFields); odd > 0 {
		h.Metrics.Add("OddFields", odd)
		log.WarnContext(ctx, "fields of an unexpected type dropped", "odd_fields", rec.OddFields, "odd_envelope_fields", ev.OddFields)
	}
	// Usable as every function judges it (trail's model): a valid time, a name, an identity.
	// A missing eventID is no reason to reject: trail derived a stable one from the content.
	if err := ev.Check(); err != nil {
		return turnaway.Malformed(ctx, log, h.Metrics, err)
	}
	h.Metrics.Add("EventsEvaluated", 1)
	alerts, detectErr := h.Rules.Detect(ctx, rec)
	h.Metrics.Add("RuleMatches", len(alerts))
	for _, a := range alerts {
		log.InfoContext(ctx, "rule matched", "decision", "alert", "kind", a.Kind, "severity", a.Severity, "source_ip", rec.SourceIPAddress)
	}
	if len(alerts) > 0 {
		if err := h.Alerts.Publish(ctx, alerts); err != nil {
			return fmt.Errorf("event %s: publish: %w", rec.EventID, errors.Join(err, detectErr))
		}
	}
	if detectErr != nil {
		var ee *rules.EvalError
		h.Metrics.Add("RuleErrors", len(unjoin(detectErr)))
		for _, e := range unjoin(detectErr) {
			if errors.As(e, &ee) {
				log.ErrorContext(ctx, "rule could not be evaluated", "decision", "retry", "rule", ee.RuleID, "rule_file", ee.File, "error", ee.Err.Error())
			} else {
				log.ErrorContext(ctx, "rule could not be applied", "decision", "retry", "error", e.Error())
			}
		}
		return fmt.Errorf("event %s: %w", rec.EventID, detectErr)
	}
	if len(alerts) == 0 {
		log.InfoContext(ctx, "no rule matched", "decision", "pass")
	}
	return nil
}

// FlushDigests sends the digests of the floods whose window ended with folded alerts no later
// alert reported (the scheduled event). A failure fails the invocation, so Lambda's retry, or
// the next schedule, sends what was released; nothing is sent twice.
func (h *Handler) FlushDigests(ctx context.Context, log *slog.Logger) error {
	f, ok := h.Alerts.(digestFlusher)
	if !ok {
		log.InfoContext(ctx, "no flood digests to flush", "decision", "skip", "reason", "alerts are not kept in a ledger by this publisher")
		return nil
	}
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	start := time.Now()
	out, err := f.FlushDigests(ctx, now)
	if err != nil {
		log.ErrorContext(ctx, "flood digests not all sent", "decision", "retry", "due", out.Due, "sent", out.Sent, "failed", out.Failed, "error", err.Error())
		return fmt.Errorf("flush flood digests: %w", err)
	}
	log.InfoContext(ctx, "flood digests flushed", "decision", "flushed", "due", out.Due, "sent", out.Sent, "ms", time.Since(start).Milliseconds())
	return nil
}

// unjoin lists the errors an errors.Join holds (or the error itself).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

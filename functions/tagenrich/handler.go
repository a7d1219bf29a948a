package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/trail"
	"github.com/trailguard/trailguard/shared/turnaway"
)

// KindTaggedResourceChanged is the alert raised for a change to a resource carrying one of
// ALERT_ON_TAGS.
const KindTaggedResourceChanged = "tagged-resource-changed"

// detailTypeAPICall is the EventBridge detail-type of CloudTrail-recorded API calls.
const detailTypeAPICall = "AWS API Call via CloudTrail"

// resolver attributes tags to the resources of a change (tags.Resolver).
type resolver interface {
	Resolve(ctx context.Context, touched tags.Touched) (map[string]tags.Resolved, error)
}

// changeStore persists change records once per event and resource.
type changeStore interface {
	Put(ctx context.Context, c Change) (stored Change, fresh bool, err error)
}

// publisher delivers the alerts of one event.
type publisher interface {
	Publish(ctx context.Context, alerts []alert.Alert) error
}

// counter is the part of metrics.Counters the handler uses.
type counter interface {
	Add(name string, n int)
}

// Handler turns CloudTrail API-call events into tagged change records. It is built once per
// container and used for every event.
type Handler struct {
	OnlyWrite bool
	Services  map[string]bool // eventSource → kept; empty: all
	AlertOn   []tagCond
	Tags      resolver
	Store     changeStore
	Alerts    publisher
	Log       *slog.Logger
	Metrics   counter
}

// Handle is the Lambda entry point: one EventBridge event. A malformed event (an envelope
// account that is not the record's recipientAccountId included) or a failure of the tables
// is an error, so Lambda retries it and it ends in the dead-letter queue; a tag lookup that
// fails is not: the change is recorded, marked tags_unavailable. An event whose source
// cannot speak for AWS (trail.ForgedSource) is rejected: logged and counted, not recorded,
// not retried.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) error {
	base := logging.ForInvocation(ctx, h.Log)
	ev, err := trail.DecodeEvent(raw)
	if err != nil {
		return turnaway.Malformed(ctx, base, h.Metrics, err)
	}
	if reason := trail.ForgedSource(ev.Source, ev.DetailType); reason != "" {
		return turnaway.Forged(ctx, base, h.Metrics, ev.Source, ev.DetailType, ev.Account, reason)
	}
	rec := ev.Detail
	log := base.With("event_id", rec.EventID, "event_name", rec.EventName)
	if odd := len(rec.OddFields) + len(ev.OddFields); odd > 0 {
		h.Metrics.Add("OddFields", odd)
		log.WarnContext(ctx, "fields of an unexpected type dropped", "odd_fields", rec.OddFields, "odd_envelope_fields", ev.OddFields)
	}
	// Usable as every function judges it (trail's model): a valid time, a name, an identity.
	if err := ev.Check(); err != nil {
		return turnaway.Malformed(ctx, log, h.Metrics, err)
	}
	if reason := h.skip(ev); reason != "" {
		h.Metrics.Add("EventsIgnored", 1)
		log.InfoContext(ctx, "event not recorded", "decision", "ignore", "reason", reason)
		return nil
	}
	changes, err := h.Changes(ctx, ev)
	if errors.Is(err, trail.ErrMalformed) {
		return turnaway.Malformed(ctx, log, h.Metrics, err)
	}
	if err != nil {
		log.ErrorContext(ctx, "event not recorded", "decision", "retry", "error", err.Error())
		return err
	}
	for _, c := range changes {
		if c.TagsSource == tags.FromOtherAccount {
			h.Metrics.Add("OtherAccountResources", 1)
		}
		if c.TagsUnavailable {
			h.Metrics.Add("TagsUnavailable", 1)
			log.WarnContext(ctx, "tags unavailable", "decision", "record-without-live-tags", "resource", c.Resource,
				"tags_source", c.TagsSource, "error", c.LookupError)
		}
	}
	var alerted []Change
	for _, c := range changes {
		stored, fresh, err := h.Store.Put(ctx, c)
		if err != nil {
			log.ErrorContext(ctx, "change not stored", "decision", "retry", "resource", c.Resource, "error", err.Error())
			return fmt.Errorf("event %s: %w", c.EventID, err)
		}
		decision := "record"
		if fresh {
			h.Metrics.Add("ChangesRecorded", 1)
		} else {
			decision = "duplicate"
			h.Metrics.Add("ChangesDuplicate", 1)
		}
		log.InfoContext(ctx, "change", "decision", decision, "resource", stored.Resource, "tags", stored.Tags.String(),
			"tags_source", stored.TagsSource, "tags_unavailable", stored.TagsUnavailable, "error_code", stored.ErrorCode, "note", stored.Note)
		if len(h.matched(stored)) > 0 {
			alerted = append(alerted, stored)
		}
	}
	if len(alerted) == 0 {
		return nil
	}
	a := h.alert(rec, alerted)
	log.InfoContext(ctx, "alert raised", "decision", "alert", "kind", a.Kind, "resources", len(alerted))
	if err := h.Alerts.Publish(ctx, []alert.Alert{a}); err != nil {
		return fmt.Errorf("event %s: %w", a.EventID, err)
	}
	return nil
}

// skip says why an event is not recorded ("" when it is).
func (h *Handler) skip(ev *trail.Event) string {
	rec := ev.Detail
	switch {
	case ev.DetailType != detailTypeAPICall:
		return fmt.Sprintf("detail-type %q is not %q", ev.DetailType, detailTypeAPICall)
	case h.OnlyWrite && rec.ReadOnly.Present && rec.ReadOnly.Value:
		return "read-only call (ONLY_WRITE)"
	case len(h.Services) > 0 && !h.Services[rec.EventSource]:
		return fmt.Sprintf("event source %q not in SERVICES", rec.EventSource)
	}
	return ""
}

// Changes builds the change records of one kept event: one per resource touched, or one
// with no resource, each with its tags. Tags are read only in the account the event belongs
// to (eventAccount): a resource the request names in another account is recorded with no
// tags and a note, so no caller can choose where the enricher reads or assumes a role.
func (h *Handler) Changes(ctx context.Context, ev *trail.Event) ([]Change, error) {
	rec := ev.Detail
	account, err := eventAccount(ev)
	if err != nil {
		return nil, err
	}
	base, err := baseChange(rec)
	if err != nil {
		return nil, err
	}
	if account != "" {
		base.Account = account
	}
	touched := tags.Extract(rec)
	touched.Account = account
	resolved, err := h.Tags.Resolve(ctx, touched)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", base.EventID, err)
	}
	if len(touched.Resources) == 0 {
		c := base
		c.Tags, c.TagsSource = touched.RequestTags, tags.FromRequest
		if c.Tags == nil {
			c.Tags, c.TagsSource = tags.Tags{}, tags.FromNone
		}
		return []Change{c}, nil
	}
	out := make([]Change, 0, len(touched.Resources))
	for _, r := range touched.Resources {
		got := resolved[r.ARN]
		c := base
		c.Resource, c.ResourceType = r.ARN, r.Type
		c.Tags, c.TagsSource, c.TagsUnavailable, c.Note = got.Tags, got.Source, got.Unavailable, got.Note
		if c.Tags == nil {
			c.Tags = tags.Tags{}
		}
		if got.Unavailable {
			c.LookupError = fmt.Sprint(got.Err)
		}
		out = append(out, c)
	}
	return out, nil
}

// eventAccount is the account an event belongs to: the EventBridge envelope's account (set
// by EventBridge, not by the sender of the record), which must be the record's
// recipientAccountId when both are given; either alone when only one is. Two different
// accounts are malformed: which account's tags to read cannot be told, and a record AWS
// delivers never disagrees with its envelope, so the event is kept (dead-letter queue), not
// guessed at.
func eventAccount(ev *trail.Event) (string, error) {
	recipient := ev.Detail.RecipientAccountID
	switch {
	case ev.Account != "" && recipient != "" && ev.Account != recipient:
		return "", fmt.Errorf("%w: %w", trail.ErrMalformed, &trail.FieldError{Field: "account",
			Problem: fmt.Sprintf("%q is not the record's recipientAccountId %q: whose event it is cannot be told", ev.Account, recipient)})
	case ev.Account != "":
		return ev.Account, nil
	}
	return recipient, nil
}

// baseChange fills the fields every change of the event shares. The record's eventID
// identifies it (the idempotency key); a record without one (seen in re-exported logs) has the
// ID trail derives from its content, which a redelivery repeats. The time is the record's, in
// any form trail accepts (ParseTime): the same records as every other function.
func baseChange(rec *trail.Record) (Change, error) {
	at, err := rec.Time()
	if err != nil {
		return Change{}, fmt.Errorf("%w: %w", trail.ErrMalformed, &trail.FieldError{Field: "detail.eventTime", Problem: problemOf(err)})
	}
	return Change{
		Time:        at.Format(changelog.TimeLayout),
		EventID:     rec.EventID,
		EventName:   rec.EventName,
		EventSource: rec.EventSource,
		Region:      rec.AWSRegion,
		Account:     rec.Account(),
		Principal:   rec.UserIdentity.Principal(),
		UserName:    rec.UserIdentity.Name(),
		UserType:    rec.UserIdentity.Type,
		SourceIP:    rec.SourceIPAddress,
		UserAgent:   rec.UserAgent,
		ErrorCode:   rec.ErrorCode,
	}, nil
}

// problemOf is a FieldError's problem, or the error's text.
func problemOf(err error) string {
	var fe *trail.FieldError
	if errors.As(err, &fe) {
		return fe.Problem
	}
	return err.Error()
}

// matched lists the ALERT_ON_TAGS pairs c's resource carries.
func (h *Handler) matched(c Change) []string {
	var out []string
	for _, cond := range h.AlertOn {
		if c.Tags.Has(cond.Key, cond.Value) {
			out = append(out, cond.Key+"="+cond.Value)
		}
	}
	return out
}

// alert is the one tagged-resource-changed alert of an event, naming each matching resource.
func (h *Handler) alert(rec *trail.Record, changes []Change) alert.Alert {
	c := changes[0]
	a := alert.Alert{
		Kind:      KindTaggedResourceChanged,
		Severity:  alert.Medium,
		Title:     "change to tagged resource",
		Account:   c.Account,
		Region:    c.Region,
		Principal: c.Principal,
		User:      c.UserName,
		SourceIP:  c.SourceIP,
		EventID:   c.EventID,
		EventName: c.EventName,
		EventTime: c.At(),
		UserAgent: c.UserAgent,
		// Repeats of one call by one principal on tagged resources are one finding.
		FingerprintExtra: []string{c.EventName},
	}
	resources := make([]string, len(changes))
	for i, ch := range changes {
		resources[i] = fmt.Sprintf("%s (%s)", ch.Resource, strings.Join(h.matched(ch), ", "))
	}
	label := "Resource"
	if len(resources) > 1 {
		label = "Resources"
	}
	a.Details = append(a.Details, alert.Detail{Label: label, Value: strings.Join(resources, "; ")})
	a.Details = append(a.Details, alert.Detail{Label: "Event source", Value: rec.EventSource})
	if c.ErrorCode != "" {
		a.Details = append(a.Details, alert.Detail{Label: "Error", Value: c.ErrorCode})
	}
	return a
}

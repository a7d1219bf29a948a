package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/cloudaudit"
	"github.com/trailguard/trailguard/shared/cloudsign"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/signin"
	"github.com/trailguard/trailguard/shared/trail"
)

// KindSourceRefused is the operators' alert for a source whose API refuses its credentials
// (or whose secret cannot be read): that source is blind until someone fixes the key.
const KindSourceRefused = "cloud-source-refused"

// fetcher reads one page of a source (Client).
type fetcher interface {
	Fetch(ctx context.Context, src Source, cred cloudsign.Credentials, w Window, cursor string) (cloudaudit.Page, error)
}

// detector is the part of rules.Detector the handler needs.
type detector interface {
	Detect(ctx context.Context, rec *trail.Record) ([]alert.Alert, error)
}

// publisher delivers alerts (alert.Sender).
type publisher interface {
	Publish(ctx context.Context, alerts []alert.Alert) error
}

// counter is the part of metrics.Counters the handler uses.
type counter interface {
	Add(name string, n int)
}

// Handler polls the configured sources and runs every new event through the sign-in checks
// and the rules. It is built once per container.
type Handler struct {
	Sources []Source
	Fetch   fetcher
	Secrets Secrets
	State   State
	SignIn  signin.Checker
	Rules   detector // nil: no rules
	// Counts takes every new event into the god view's counters, per cloud (counters.Table in
	// AWS, localstate.Counters under -state, counters.Memory in a local run); nil: not counted.
	Counts countStore
	// Changes records write events in the change log, with Alibaba ECS and SLB tags
	// (changeLog); nil: no change log.
	Changes *changeLog
	Alerts  publisher
	Log     *slog.Logger
	Metrics counter

	// Now is the clock (time.Now); Sleep waits between retries (a timer honouring ctx).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Lookback is how far back a source's first poll reads (it has no cursor yet).
	Lookback time.Duration
	// Backoff is the first wait after a throttle; it doubles up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Margin is the time kept in reserve before the invocation's deadline: no retry starts
	// when its wait would end inside it.
	Margin time.Duration
	// SeenFor is how long an event ID is remembered: longer than any window that can read it
	// again (the cloud's delay plus a missed poll or two).
	SeenFor time.Duration
}

// HandleSchedule is the Lambda entry point (the EventBridge Scheduler event is not read):
// every source is polled in turn; one source's failure does not stop the others. Sources
// whose credentials are refused raise one operator alert each and are not errors; any other
// failure is returned (joined) after every source was tried, so the invocation's error alarm
// fires, and that source's cursor stays where it was, so the next poll reads the window again.
func (h *Handler) HandleSchedule(ctx context.Context, _ json.RawMessage) error {
	var errs []error
	secrets := newInvocationSecrets(h.Secrets)
	for _, src := range h.Sources {
		if err := h.poll(ctx, src, secrets); err != nil {
			h.Metrics.Add("SourceErrors", 1)
			errs = append(errs, fmt.Errorf("source %s: %w", src.Name, err))
		}
	}
	return errors.Join(errs...)
}

// poll reads one source's new window, page by page, with the key pair from secrets (this
// invocation's cache). A secret that is missing, malformed or not readable by the function is
// the source's operator alert; a transient failure to read it (throttled, the service down)
// is an error, so the cursor stays and the invocation's error alarm counts it.
func (h *Handler) poll(ctx context.Context, src Source, secrets Secrets) error {
	log := logging.ForInvocation(ctx, h.Log).With("source", src.Name, "cloud", src.Cloud)
	cred, err := secrets.Credentials(ctx, src.SecretARN)
	if err != nil && configFault(err) {
		return h.refused(ctx, log, src, fmt.Errorf("read the key pair from %s: %w", src.SecretARN, err))
	}
	if err != nil {
		return fmt.Errorf("read the key pair from %s: %w", src.SecretARN, err)
	}
	now := h.Now().UTC()
	last, err := h.State.Cursor(ctx, src.Name)
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	from := last.Add(-src.delay)
	if last.IsZero() {
		from = now.Add(-h.Lookback - src.delay)
	}
	w := Window{From: from, To: now}
	res := h.Changes.resolver(src, cred)
	log.InfoContext(ctx, "polling", "from", w.From, "to", w.To)
	var errs []error
	pages, cursor := 0, ""
	for {
		page, err := h.fetch(ctx, src, cred, w, cursor)
		if errors.Is(err, ErrRefused) {
			return h.refused(ctx, log, src, err)
		}
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		pages++
		for _, raw := range page.Events {
			if err := h.process(ctx, log, src, res, raw); err != nil {
				errs = append(errs, err)
			}
		}
		if page.Next == "" || len(page.Events) == 0 {
			break
		}
		cursor = page.Next
	}
	h.Metrics.Add("PagesRead", pages)
	if len(errs) > 0 {
		return errors.Join(errs...) // the window is read again next time; dedupe skips what was done
	}
	if err := h.State.SetCursor(ctx, src.Name, now); err != nil {
		return fmt.Errorf("write cursor: %w", err)
	}
	return nil
}

// fetch reads one page, retrying throttles with exponential backoff while the invocation has
// time for the wait and a request after it.
func (h *Handler) fetch(ctx context.Context, src Source, cred cloudsign.Credentials, w Window, cursor string) (cloudaudit.Page, error) {
	wait := h.Backoff
	for attempt := 1; ; attempt++ {
		page, err := h.Fetch.Fetch(ctx, src, cred, w, cursor)
		if !errors.Is(err, ErrThrottled) {
			return page, err
		}
		h.Metrics.Add("Throttles", 1)
		if deadline, ok := ctx.Deadline(); ok && h.Now().Add(wait+h.Margin).After(deadline) {
			return page, fmt.Errorf("throttled %d times, no time left to retry: %w", attempt, err)
		}
		if err := h.Sleep(ctx, wait); err != nil {
			return page, fmt.Errorf("waiting after a throttle: %w", err)
		}
		wait = min(2*wait, h.MaxBackoff)
	}
}

// process runs one event through the checks, once: an event already processed (an earlier,
// overlapping window) is skipped; one that fails (an alert not published, a rule not
// evaluated, its count or change records not written) is not marked, so the next poll tries
// it again. res reads the tags of the source's resources (nil: none).
func (h *Handler) process(ctx context.Context, log *slog.Logger, src Source, res tagResolver, raw json.RawMessage) error {
	rec, err := cloudaudit.Normalize(src.Cloud, raw, cloudaudit.Options{Region: src.Region})
	if err != nil {
		// No event ID: nothing to deduplicate on, and nothing a check could name. Logged with
		// its start for a person, counted (alarmed on), never retried.
		h.Metrics.Add("MalformedEvents", 1)
		log.ErrorContext(ctx, "malformed event", "decision", "reject", "error", err.Error(), "event", alert.Clean(string(raw), 256))
		return nil
	}
	key := src.Cloud + "#" + rec.EventID
	if seen, err := h.State.Seen(ctx, key); err != nil {
		return fmt.Errorf("event %s: dedupe: %w", rec.EventID, err)
	} else if seen {
		h.Metrics.Add("EventsRepeated", 1)
		return nil
	}
	elog := log.With("event_id", rec.EventID, "event_name", rec.EventName)
	if len(rec.OddFields) > 0 {
		h.Metrics.Add("OddFields", len(rec.OddFields))
		elog.WarnContext(ctx, "fields unreadable, dropped", "odd_fields", rec.OddFields)
	}
	alerts, detectErr := h.check(ctx, elog, rec)
	if len(alerts) > 0 {
		for _, a := range alerts {
			elog.InfoContext(ctx, "alert raised", "decision", "alert", "kind", a.Kind, "severity", a.Severity, "source_ip", rec.SourceIPAddress)
		}
		if err := h.Alerts.Publish(ctx, alerts); err != nil {
			return fmt.Errorf("event %s: publish: %w", rec.EventID, errors.Join(err, detectErr))
		}
	}
	if detectErr != nil {
		h.Metrics.Add("RuleErrors", 1)
		return fmt.Errorf("event %s: rules: %w", rec.EventID, detectErr)
	}
	// The count and the change records are exactly-once writes of their own (a marker per
	// event, a conditional put per event and resource), made before the event is marked seen:
	// one that fails leaves the event unmarked, and the retry adds only what is missing.
	counted, err := h.count(ctx, rec)
	if err != nil {
		return fmt.Errorf("event %s: %w", rec.EventID, err)
	}
	if err := h.Changes.record(ctx, elog, res, rec); err != nil {
		return fmt.Errorf("event %s: change log: %w", rec.EventID, err)
	}
	first, err := h.State.MarkSeen(ctx, key, h.Now().Add(h.SeenFor))
	if err != nil {
		return fmt.Errorf("event %s: mark seen: %w", rec.EventID, err)
	}
	if !first {
		h.Metrics.Add("EventsRepeated", 1) // a concurrent poll processed it too; its count stands
		return nil
	}
	h.Metrics.Add("Events", 1)
	h.Metrics.Add("Events."+src.Cloud, 1)
	if counted {
		h.Metrics.Add("EventsCounted", 1)
	}
	if len(alerts) == 0 {
		elog.DebugContext(ctx, "event ok", "decision", "pass")
	}
	return nil
}

// check is the sign-in checks (sign-ins and sign-outs, readable or not) and the rules (usable
// records).
func (h *Handler) check(ctx context.Context, log *slog.Logger, rec *trail.Record) ([]alert.Alert, error) {
	var alerts []alert.Alert
	if rec.EventName == signin.EventSignIn || signin.IsSignOut(rec) {
		si, siErr := rec.SignIn()
		unreadable := signin.Unreadable(rec, siErr, "")
		if len(unreadable) > 0 {
			// Say why: a payload the cloud carried as a string that did not parse.
			for _, p := range rec.OddFields {
				unreadable = append(unreadable, (&trail.FieldError{Field: p, Problem: "not readable JSON (the record was read from the fields around it)"}).Error())
			}
			h.Metrics.Add("UnreadableSignIns", 1)
			log.WarnContext(ctx, "sign-in not fully readable", "unreadable", unreadable, "odd_fields", rec.OddFields)
		}
		h.Metrics.Add("SignInsChecked", 1)
		alerts = append(alerts, h.SignIn.Check(rec, si, unreadable...)...)
	}
	if h.Rules == nil {
		return alerts, nil
	}
	if err := rec.Check(); err != nil {
		h.Metrics.Add("UnusableRecords", 1)
		log.WarnContext(ctx, "record not usable by the rules", "error", err.Error())
		return alerts, nil
	}
	matched, err := h.Rules.Detect(ctx, rec)
	h.Metrics.Add("RuleMatches", len(matched))
	return append(alerts, matched...), err
}

// refused tells the operators, once per source and hour (the alert's event ID; the alert
// layer's suppression window holds repeats after that), that a source's credentials are
// refused or unreadable. The other sources go on; this is not the invocation's error (no
// retry can fix a key), the alert is what a person acts on.
func (h *Handler) refused(ctx context.Context, log *slog.Logger, src Source, cause error) error {
	h.Metrics.Add("SourcesRefused", 1)
	log.ErrorContext(ctx, "source credentials refused", "decision", "alert", "error", cause.Error())
	now := h.Now().UTC()
	a := alert.Alert{
		Kind: KindSourceRefused, Severity: alert.High, Title: "cloud audit source refused its key",
		Cloud: src.Cloud, Account: src.Name, Principal: "cloudpoll/" + src.Name, User: "cloudpoll",
		EventID:   fmt.Sprintf("cloudpoll-%s-%s", src.Name, now.Truncate(time.Hour).Format("2006010215")),
		EventName: "poll", EventTime: now, Region: src.Region,
		Details: []alert.Detail{
			{Label: "Source", Value: src.Name}, {Label: "Endpoint", Value: src.Endpoint},
			{Label: "Error", Value: cause.Error()},
			{Label: "Action", Value: "this source is not watched until fixed: check the read-only key pair in " + src.SecretARN + " (rotated, deleted, or its policy changed)"},
		},
	}
	if err := h.Alerts.Publish(ctx, []alert.Alert{a}); err != nil {
		return fmt.Errorf("credentials refused (%v), and the operator alert failed: %w", cause, err)
	}
	return nil
}

// HandlePage is the local mode's handler: one saved API response page of cloud, run through
// the same path as a polled one (normalize, dedupe, sign-in checks, rules, alerts).
func (h *Handler) HandlePage(cloud, region string) func(ctx context.Context, raw json.RawMessage) error {
	src := Source{Name: "local-" + cloud, Cloud: cloud, Region: region}
	return func(ctx context.Context, raw json.RawMessage) error {
		log := logging.ForInvocation(ctx, h.Log).With("cloud", cloud)
		page, err := cloudaudit.DecodePage(cloud, raw)
		if err != nil {
			h.Metrics.Add("MalformedEvents", 1)
			log.ErrorContext(ctx, "malformed event", "decision", "reject", "error", err.Error())
			return err
		}
		var errs []error
		for _, ev := range page.Events {
			if err := h.process(ctx, log, src, nil, ev); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

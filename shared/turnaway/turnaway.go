// Package turnaway logs and counts the two ways an EventBridge handler turns an event away
// without judging it, the same way in every function: a forged event (its source cannot speak
// for AWS) and a malformed one (it carries no usable record).
package turnaway

import (
	"context"
	"log/slog"

	"github.com/trailguard/trailguard/shared/alert"
)

// Counter is the handlers' metrics sink.
type Counter interface{ Add(name string, n int) }

// MaxLogged caps the envelope text a rejected event's log line repeats: EventBridge allows
// 256 characters of source, an attacker's choice.
const MaxLogged = 64

// Forged logs and counts (ForgedSources) an event whose source cannot speak for AWS. It
// records nothing, raises no alert and returns no error: a forged event is no delivery
// failure to retry, and an alert per forged event would let whoever can put events on the
// bus flood the on-call phones (trail.ForgedSource says why the count is what is alarmed on).
// What the sender chose is logged sanitized; the envelope's account is the one that put the
// event.
func Forged(ctx context.Context, log *slog.Logger, m Counter, source, detailType, account, reason string) error {
	m.Add("ForgedSources", 1)
	log.WarnContext(ctx, "event rejected", "decision", "rejected", "reason", reason,
		"source", alert.Clean(source, MaxLogged), "detail_type", alert.Clean(detailType, MaxLogged),
		"account", alert.Clean(account, MaxLogged))
	return nil
}

// Malformed logs and counts (MalformedEvents) an event that carries no usable record and
// returns its error, so Lambda retries it and, failing again, routes it to the dead-letter
// queue.
func Malformed(ctx context.Context, log *slog.Logger, m Counter, err error) error {
	m.Add("MalformedEvents", 1)
	log.ErrorContext(ctx, "malformed event", "decision", "reject", "error", err.Error())
	return err
}

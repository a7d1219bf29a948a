package main

import (
	"context"
	"fmt"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/trail"
)

// countStore takes tallies into the god view's counters, exactly once per FileID:
// counters.Table (AWS), localstate.Counters (-state DIR), counters.Memory.
type countStore interface {
	Apply(ctx context.Context, file counters.FileID, tally *counters.Tally) (counters.Applied, error)
}

// countBucket is the FileID.Bucket of every polled event's count: no S3 bucket has this
// name (bucket names have no '#'), so a polled event's marker never meets a log file's.
const countBucket = "cloudpoll#"

// countFile is the identity under which one event is counted: its cloud and the cloud's
// event ID. An event is counted before it is marked seen, under its own marker, so a poll
// that fails between the two (or two polls racing over one event) adds it once: the second
// Apply finds the marker on the counter and writes nothing. Counting a page's new events
// together under one marker would write less, but the set of new events on a page differs
// from one poll to the next (windows move, a claim may have failed for some), so a page's
// marker cannot make a retry count each event once.
func countFile(cloud, eventID string) counters.FileID {
	return counters.FileID{Bucket: countBucket, Key: cloud + "#" + eventID}
}

// counterKey is a normalized record's counter, by the rules counters.Parser applies to a
// CloudTrail record: the UTC hour of eventTime, the account (recipientAccountId, else the
// identity's), the principal (trail's Principal), the first resource type, the source
// address, event name and source, error code, event type, region and the record's cloud.
func counterKey(rec *trail.Record) (counters.Key, error) {
	at, err := rec.Time()
	if err != nil {
		return counters.Key{}, fmt.Errorf("%w: %w", trail.ErrMalformed, &trail.FieldError{Field: "eventTime", Problem: err.Error()})
	}
	if at.UTC().Year() < 1 || at.UTC().Year() > 9999 {
		return counters.Key{}, fmt.Errorf("%w: eventTime %q out of range", trail.ErrMalformed, rec.EventTime)
	}
	k := counters.Key{
		Hour:        at.UTC().Format(counters.HourLayout),
		Account:     rec.Account(),
		Principal:   rec.UserIdentity.Principal(),
		SourceIP:    rec.SourceIPAddress,
		EventName:   rec.EventName,
		ErrorCode:   rec.ErrorCode,
		EventType:   rec.EventType,
		Region:      rec.AWSRegion,
		EventSource: rec.EventSource,
		Cloud:       rec.Cloud,
	}
	for _, r := range rec.Resources {
		if r.Type != "" {
			k.ResourceType = r.Type
			break
		}
	}
	if k.EventName == "" || k.Account == "" {
		return k, fmt.Errorf("%w: no event name or account to count under", trail.ErrMalformed)
	}
	return k, nil
}

// count adds one event to the counters under its own marker (countFile). A record with no
// time, name or account has no counter: it is counted as UncountedEvents and logged, not
// retried (no later poll can give it one).
func (h *Handler) count(ctx context.Context, rec *trail.Record) (counted bool, err error) {
	if h.Counts == nil {
		return false, nil
	}
	k, err := counterKey(rec)
	if err != nil {
		h.Metrics.Add("UncountedEvents", 1)
		return false, nil
	}
	t := counters.NewTally()
	t.Add(&k)
	if _, err := h.Counts.Apply(ctx, countFile(rec.Cloud, rec.EventID), t); err != nil {
		return false, fmt.Errorf("count: %w", err)
	}
	return true, nil
}

package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trailguard/trailguard/shared/logging"
)

// Sender is the durable, deduplicating Publisher every function sends through: each alert is
// claimed in the Ledger, the winners are published together, and each claim is then
// committed (sent) or released (so Lambda's retry sends it). Redeliveries send nothing and
// repeats inside the suppression window are counted, not sent.
type Sender struct {
	Ledger    Ledger
	Publisher Publisher
	Log       *slog.Logger
	Now       func() time.Time // clock; nil means time.Now
	// Lease is how long a claim stays another invocation's when ctx has no deadline; under
	// Lambda the lease ends a little after the invocation's own deadline.
	Lease time.Duration
	// Metrics counts decisions (AlertsSent, AlertsSuppressed, AlertsFolded, AlertsDuplicate);
	// may be nil.
	Metrics counter
	// History, when set, keeps each delivered alert for the god view's recent alerts.
	History History
}

// counter is the part of metrics.Counters the Sender uses.
type counter interface {
	Add(name string, n int)
}

type nopCounter struct{}

func (nopCounter) Add(string, int) {}

// leaseMargin is added to an invocation's deadline: past it, the invocation cannot still be
// running, so its claims may be taken over.
const leaseMargin = 5 * time.Second

// ErrInFlight means another invocation is handling the same event's alert right now. It is
// returned so Lambda retries; by then the alert is done or the other claim has lapsed.
var ErrInFlight = errors.New("alert is being handled by another invocation")

// Publish implements Publisher.
func (s *Sender) Publish(ctx context.Context, alerts []Alert) error {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	lease, stats := s.leaseUntil(ctx, now), s.stats()
	base := logging.ForInvocation(ctx, s.Log) // decision lines carry the Lambda request ID

	var (
		send     []Alert
		claims   []Claim
		inFlight error
	)
	for i := range alerts {
		a := alerts[i]
		c, err := s.Ledger.Claim(ctx, &a, now, lease)
		if err != nil {
			return errors.Join(fmt.Errorf("alert %s of event %s: %w", a.Kind, a.EventID, err), s.release(ctx, send, claims))
		}
		log := base.With("event_id", a.EventID, "kind", a.Kind, "fingerprint", a.Fingerprint())
		switch c.Action {
		case Send:
			a.Suppressed, a.SuppressedSince = c.Suppressed, c.Since
			a.FoldingUntil, a.Folded, a.FoldedSince, a.FoldedFrom = c.FoldingUntil, c.Folded, c.FoldedSince, c.FoldedFrom
			send, claims = append(send, a), append(claims, c)
		case Suppress:
			if c.Fold {
				stats.Add("AlertsFolded", 1)
				log.InfoContext(ctx, "alert folded by flood control", "decision", "fold", "flood", a.FloodKey())
				continue
			}
			stats.Add("AlertsSuppressed", 1)
			log.InfoContext(ctx, "alert suppressed", "decision", "suppress")
		case Duplicate:
			stats.Add("AlertsDuplicate", 1)
			log.InfoContext(ctx, "alert already handled for this event", "decision", "duplicate")
		case InFlight:
			log.WarnContext(ctx, "alert claimed by another invocation", "decision", "retry-later")
			inFlight = fmt.Errorf("alert %s of event %s: %w", a.Kind, a.EventID, ErrInFlight)
		}
	}
	if len(send) == 0 {
		return inFlight
	}

	pubErr := s.Publisher.Publish(ctx, send)
	failed := failedIndexes(pubErr, len(send))
	var errs []error
	for i := range send {
		log := base.With("event_id", send[i].EventID, "kind", send[i].Kind)
		if failed[i] {
			log.ErrorContext(ctx, "alert not delivered; claim released for the retry", "decision", "release")
			if err := s.Ledger.Release(ctx, &send[i], claims[i]); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		stats.Add("AlertsSent", 1)
		log.InfoContext(ctx, "alert sent", "decision", "send", "suppressed_reported", claims[i].Suppressed, "folded_reported", claims[i].Folded)
		if err := s.Ledger.Commit(ctx, &send[i], claims[i]); err != nil {
			// Delivered: failing the invocation would re-send it once the lease lapses.
			log.ErrorContext(ctx, "alert sent but not marked; a lapsed lease may repeat it once", "error", err.Error())
		}
	}
	s.record(ctx, base, send, failed, now)
	if len(failed) > 0 {
		errs = append([]error{fmt.Errorf("publish alerts: %w", pubErr)}, errs...)
	}
	return errors.Join(append(errs, inFlight)...)
}

// release frees claims taken before a failure, so the retry can take them again.
func (s *Sender) release(ctx context.Context, alerts []Alert, claims []Claim) error {
	var errs []error
	for i := range alerts {
		if err := s.Ledger.Release(ctx, &alerts[i], claims[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// record keeps the delivered alerts in the History. A failure is logged, not returned: the
// alerts are out, and failing the invocation would send them again.
func (s *Sender) record(ctx context.Context, log *slog.Logger, sent []Alert, failed map[int]bool, at time.Time) {
	if s.History == nil {
		return
	}
	var out []Sent
	for i := range sent {
		if !failed[i] {
			out = append(out, SentAt(&sent[i], at))
		}
	}
	if len(out) == 0 {
		return
	}
	if err := s.History.Record(ctx, out); err != nil {
		log.ErrorContext(ctx, "alerts sent but not kept for the god view", "alerts", len(out), "error", err.Error())
	}
}

// leaseUntil is when claims taken now stop being this invocation's.
func (s *Sender) leaseUntil(ctx context.Context, now time.Time) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl.Add(leaseMargin)
	}
	if s.Lease <= 0 {
		return now.Add(30 * time.Second)
	}
	return now.Add(s.Lease)
}

func (s *Sender) stats() counter {
	if s.Metrics != nil {
		return s.Metrics
	}
	return nopCounter{}
}

// Flushed is what one FlushDigests did: due entries read, digests sent, digests whose
// publish failed (released to the next flush).
type Flushed struct {
	Due, Sent, Failed int
}

// FlushDigests sends the digest of every flood that stopped: a flood whose window ended with
// folded alerts that no later alert of it reported. Without it, a flood that simply stops
// would never say how many alerts were folded. It runs on a schedule (the rules function's
// {"action":"flush-digests"}, every 5 minutes), so each digest goes out within minutes of its
// window's end, once: the ledger's claims make a flush, a second flush and a late alert of
// the flood agree on who reports it, and a digest whose publish fails is released for the
// next flush. A ledger that schedules no digests (not a DigestLedger) has nothing to flush.
func (s *Sender) FlushDigests(ctx context.Context, now time.Time) (Flushed, error) {
	var out Flushed
	dl, ok := s.Ledger.(DigestLedger)
	if !ok {
		return out, nil
	}
	log, stats := logging.ForInvocation(ctx, s.Log), s.stats()
	due, err := dl.DueDigests(ctx, now)
	out.Due = len(due)
	if err != nil {
		return out, fmt.Errorf("list due flood digests: %w", err)
	}
	lease := s.leaseUntil(ctx, now)
	var (
		errs    []error
		digests []*Digest
		send    []Alert
	)
	for _, d := range due {
		dg, err := dl.ClaimDigest(ctx, d, now, lease)
		if err != nil { // the other floods still go out; this one waits for the next flush
			errs = append(errs, fmt.Errorf("claim digest of %s: %w", d.Flood, err))
			continue
		}
		if dg != nil {
			digests, send = append(digests, dg), append(send, dg.Alert)
		}
	}
	if len(send) == 0 {
		return out, errors.Join(errs...)
	}
	pubErr := s.Publisher.Publish(ctx, send)
	failed := failedIndexes(pubErr, len(send))
	for i, dg := range digests {
		dlog := log.With("kind", dg.Alert.Kind, "flood", dg.Alert.FloodKey(), "folded_reported", dg.Alert.Folded)
		if failed[i] {
			out.Failed++
			dlog.ErrorContext(ctx, "flood digest not delivered; released for the next flush", "decision", "release")
			if err := dl.ReleaseDigest(ctx, dg); err != nil {
				errs = append(errs, err) // its lease lapses: the next flush after it takes it over
			}
			continue
		}
		out.Sent++
		stats.Add("DigestsSent", 1)
		dlog.InfoContext(ctx, "flood digest sent", "decision", "send")
		if err := dl.CommitDigest(ctx, dg); err != nil {
			// Delivered: a lapsed lease may repeat it once, as for an alert.
			dlog.ErrorContext(ctx, "flood digest sent but not marked; a lapsed lease may repeat it once", "error", err.Error())
		}
	}
	s.record(ctx, log, send, failed, now)
	if len(failed) > 0 {
		stats.Add("DigestsFailed", len(failed))
		errs = append([]error{fmt.Errorf("publish flood digests: %w", pubErr)}, errs...)
	}
	return out, errors.Join(errs...)
}

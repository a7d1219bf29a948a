package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Action is what the ledger decided for one alert.
type Action int

// The ledger's decisions.
const (
	// Send: this invocation owns the alert; publish it, then Commit (or Release on failure).
	Send Action = iota
	// Suppress: the same finding was sent inside the window; the alert was counted on the
	// fingerprint and is done.
	Suppress
	// Duplicate: this event already raised this alert (a redelivery); nothing to do.
	Duplicate
	// InFlight: another invocation holds a live claim on this very event and alert. The caller
	// fails, so Lambda retries: by then the alert is done or the other claim has lapsed.
	InFlight
)

func (a Action) String() string {
	return [...]string{"send", "suppress", "duplicate", "in-flight"}[a]
}

// Claim is a ledger decision with what the caller needs to finish it.
type Claim struct {
	Action     Action
	Token      string    // identifies this claim in Commit and Release
	Suppressed int       // Send: alerts of the fingerprint held back since Since
	Since      time.Time // Send: when the last alert of the fingerprint was sent
	Now        time.Time // when the claim was made
}

// Ledger is the alert state that makes alerting durable and quiet: one claim per event and
// alert kind (redeliveries send nothing), one send per fingerprint per window (repeats are
// counted), and a lease, so a claim whose invocation died can be taken over.
//
// Protocol: Claim; for Send, publish, then Commit on success or Release on failure. A crash
// between publish and Commit leaves a lease that lapses; the retry then sends once more. That
// is the one window left, and it costs at most one duplicate alert, never a lost one.
type Ledger interface {
	Claim(ctx context.Context, a *Alert, now, leaseUntil time.Time) (Claim, error)
	Commit(ctx context.Context, a *Alert, c Claim) error
	Release(ctx context.Context, a *Alert, c Claim) error
}

// LedgerOptions are the timings every ledger shares.
type LedgerOptions struct {
	// Window is SUPPRESS_WINDOW: after an alert is sent, alerts of its fingerprint are counted,
	// not sent, for this long. 0 sends every alert (redeliveries are still dropped).
	Window time.Duration
	// DedupeFor is how long an event's claim is remembered, to recognize redeliveries. It
	// must outlast the longest retry: EventBridge retries up to 24 hours, SQS keeps messages
	// up to 14 days.
	DedupeFor time.Duration
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}

// eventKey and fingerprintKey are the ledger's item keys.
func eventKey(a *Alert) string       { return "ev#" + a.DedupeKey() }
func fingerprintKey(a *Alert) string { return "fp#" + a.Fingerprint() }

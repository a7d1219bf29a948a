package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

	// Flood control (Send only): FoldingUntil is set when this alert reached the flood cap;
	// Folded, FoldedSince and FoldedFrom are the previous window's folded alerts this alert
	// reports (see Alert.Folded). Folded is also set, to 1, on a Suppress that folded the alert.
	FoldingUntil time.Time
	Folded       int
	FoldedSince  time.Time
	FoldedFrom   string
	// Fold: a Suppress decided by flood control (the finding was new, its flood was capped).
	Fold bool

	// floodWin is the flood window this Send counts in; floodOpened says the claim opened it
	// (and took the previous window's digest), floodAdmitted that it was counted in it.
	floodWin                   time.Time
	floodOpened, floodAdmitted bool
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
	// FloodCap is ALERT_FLOOD_CAP: at most this many alerts of one FloodKey (kind, account,
	// principal, outcome) are sent per Window, whatever their source addresses; the rest are
	// folded and counted, and the first alert sent after the window reports them as a digest
	// ("+187 from 2a02:1810:4d02:a100::/64 since 10:02"). The alert that reaches the cap says
	// folding has begun and until when. 0 means DefaultFloodCap; Window 0 turns it off.
	FloodCap int
}

// DefaultFloodCap is the flood cap when LedgerOptions.FloodCap is 0: a few alerts show a
// flood's shape, the digest its size.
const DefaultFloodCap = 3

// MaxFloodCap bounds ALERT_FLOOD_CAP: a cap above it is no flood control at all.
const MaxFloodCap = 1000

// Validate checks the options; a function stops at start on an invalid value.
func (o LedgerOptions) Validate() error {
	switch {
	case o.Window < 0:
		return fmt.Errorf("suppression window %s is negative", o.Window)
	case o.FloodCap < 0 || o.FloodCap > MaxFloodCap:
		return fmt.Errorf("flood cap %d is outside 1..%d (0 means %d)", o.FloodCap, MaxFloodCap, DefaultFloodCap)
	}
	return nil
}

// floodCap is the effective cap; 0 means flood control is off (no window).
func (o LedgerOptions) floodCap() int {
	switch {
	case o.Window <= 0:
		return 0
	case o.FloodCap <= 0:
		return DefaultFloodCap
	}
	return o.FloodCap
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}

// eventKey and fingerprintKey are the ledger's item keys.
func eventKey(a *Alert) string       { return "ev#" + a.DedupeKey() }
func fingerprintKey(a *Alert) string { return "fp#" + a.Fingerprint() }
func floodKey(a *Alert) string       { return "fl#" + a.FloodKey() }

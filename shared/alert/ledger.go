package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
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

// DigestLedger is a Ledger that also schedules flood digests, so a flood that simply stops is
// still reported: folding records the flood as due at its window's end, and a scheduled flush
// (Sender.FlushDigests) claims each due digest no later alert took, publishes it alone, and
// commits it. Claims are conditional like the alerts' own, so a digest goes out once whether
// a late alert of the flood, a flush, or two flushes reach it together; a failed publish
// releases it to the next flush.
type DigestLedger interface {
	// DueDigests lists the floods recorded as due at or before now (within DigestHorizon),
	// read from the due buckets, never by scanning the floods.
	DueDigests(ctx context.Context, now time.Time) ([]DueDigest, error)
	// ClaimDigest takes d's digest for this flush if its window has ended and nobody has
	// reported or claimed it; nil means nothing to send now (the entry is dropped once the
	// flood has nothing left to report, kept while its window is open, another flush holds it,
	// or the opener of its next window holds its digest: once that window ended with the
	// opener still there, the opener is dead and the flush reports its digest).
	ClaimDigest(ctx context.Context, d DueDigest, now, leaseUntil time.Time) (*Digest, error)
	// CommitDigest marks a claimed digest sent; ReleaseDigest gives it back to the next flush.
	CommitDigest(ctx context.Context, d *Digest) error
	ReleaseDigest(ctx context.Context, d *Digest) error
}

// DueDigest is one entry of a due bucket: the flood (its ledger key) and the window (its
// start, Unix milliseconds) whose folded alerts it reports.
type DueDigest struct {
	Bucket time.Time
	Flood  string
	Win    int64
}

// Digest is a digest claimed by a flush: the alert that reports it, and its claim.
type Digest struct {
	Alert Alert
	Due   DueDigest
	Token string
	Now   time.Time // when it was claimed
}

// DigestBucket is the granularity of the due buckets: a flood's digest is filed under its
// window's end truncated to it, and the flush (every 5 minutes in template.yaml) reads every
// bucket up to now.
const DigestBucket = 5 * time.Minute

// DigestHorizon is how far back a flush reads due buckets: a digest not flushed within it
// (the flush down for a day) is given up, as the flood's own ledger item expires by then.
const DigestHorizon = 24 * time.Hour

func digestBucket(t time.Time) time.Time { return t.UTC().Truncate(DigestBucket) }

// dueKey is the ledger key of a due bucket.
func dueKey(bucket time.Time) string { return "due#" + bucket.UTC().Format("2006-01-02T15:04") }

// dueMember is a DueDigest as its bucket holds it: "<flood key>@<window start ms>".
func dueMember(flood string, win int64) string { return flood + "@" + strconv.FormatInt(win, 10) }

func parseDueMember(bucket time.Time, m string) (DueDigest, bool) {
	i := strings.LastIndexByte(m, '@')
	if i < 0 {
		return DueDigest{}, false
	}
	win, err := strconv.ParseInt(m[i+1:], 10, 64)
	if err != nil || !strings.HasPrefix(m, "fl#") {
		return DueDigest{}, false
	}
	return DueDigest{Bucket: bucket, Flood: m[:i], Win: win}, true
}

// digestAlert is the alert a flush sends for a flood that stopped: the flood's identity as its
// last folded alert had it, and the digest.
// Its source is where the folded alerts came from when that is one address or one network
// (the SMS keeps it whole), else the last folded alert's address.
func digestAlert(meta Alert, folded int, since time.Time, from string) Alert {
	src := meta.SourceIP
	if _, err := netip.ParsePrefix(from); err == nil {
		src = from
	} else if _, err := netip.ParseAddr(from); err == nil {
		src = from
	}
	return Alert{
		Kind: meta.Kind, Severity: meta.Severity, Title: meta.Title, Account: meta.Account, Region: meta.Region,
		Principal: meta.Principal, User: meta.User, Outcome: meta.Outcome, Cloud: meta.Cloud,
		SourceIP: src, EventName: meta.EventName, EventTime: meta.EventTime,
		Folded: folded, FoldedSince: since.UTC(), FoldedFrom: from,
		Details: []Detail{{Label: "Flood digest", Value: "the flood stopped: no alert of it came after its window ended, " +
			"so its folded alerts are reported on their own"}},
		// Never claimed in the ledger: this only keeps two digests of one flood apart in the history.
		FingerprintExtra: []string{"\x01digest", strconv.FormatInt(since.UnixMilli(), 10)},
	}
}

// floodMeta is what a flood remembers of its last folded alert to build its digest.
func floodMeta(a *Alert) Alert {
	return Alert{Kind: a.Kind, Severity: a.Severity, Title: a.Title, Account: a.Account, Region: a.Region,
		Principal: a.Principal, User: a.User, Outcome: a.Outcome, Cloud: a.Cloud,
		SourceIP: a.SourceIP, EventName: a.EventName, EventTime: a.EventTime}
}

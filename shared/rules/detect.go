package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/trail"
)

// Counter counts distinct members per key, for threshold rules. Add records member (an event
// ID, or the value a distinct rule counts) under key and reports whether at least limit
// distinct members are now recorded there, and then which (members, when the store says; at
// most limit of them). It must be idempotent per member: a redelivered event, or one seen by
// both the real-time and the log-file path, counts once. expires says when the key may be
// forgotten.
type Counter interface {
	Add(ctx context.Context, key, member string, limit int, expires time.Time) (reached bool, members []string, err error)
}

// counterRetention keeps a window's count this long after the window ends, so the log-file
// path (delivered minutes to hours later) still adds to the same count.
const counterRetention = 24 * time.Hour

// Detector turns records into alerts: every enabled rule, then the threshold of the rules that
// have one. The rules function and the aggregator each hold one.
type Detector struct {
	Engine *Engine
	// Counts holds threshold counts; required when a rule has a threshold.
	Counts Counter
}

// NewDetector checks that threshold rules have somewhere to count.
func NewDetector(e *Engine, counts Counter) (*Detector, error) {
	if counts == nil {
		for _, r := range e.Rules() {
			if r.HasThreshold() {
				return nil, fmt.Errorf("rule %s (%s) has a threshold but no counter is configured", r.ID, r.File)
			}
		}
	}
	return &Detector{Engine: e, Counts: counts}, nil
}

// Detect returns the alerts rec raises, in rule order. rec must have an eventID and an
// eventTime (the dedupe key and the threshold window need them); a record without is an
// error wrapping trail.ErrMalformed. Rules that could not be evaluated, and threshold counts
// that could not be recorded, are reported in the error (joined); the alerts of the others
// are returned all the same, so the caller publishes them and then fails, to be retried.
func (d *Detector) Detect(ctx context.Context, rec *trail.Record) ([]alert.Alert, error) {
	if err := rec.Require("", "eventID", "eventTime"); err != nil {
		return nil, err
	}
	matches, evalErr := d.Engine.Evaluate(rec)
	errs := []error{evalErr}
	var out []alert.Alert
	for _, m := range matches {
		a := m.Alert(rec)
		if m.Rule.HasThreshold() {
			key, reached, members, err := d.count(ctx, m, &a)
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s on event %s: threshold count: %w", m.Rule.ID, rec.EventID, err))
				continue
			}
			if !reached {
				continue
			}
			crossed(&a, m.Rule, key, members, rec.EventID)
		}
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

// Admits reports whether some rule could match a record with rec's PrefilterFields
// (Engine.Admits): when not, Detect would return nothing and no error for it, so a caller that
// has those fields without decoding the record (the log-file parser) need not decode it.
func (d *Detector) Admits(rec *trail.Record) bool { return d.Engine.Admits(rec) }

// DetectJSON is Detect for a record as a log file holds it (the aggregator frames records
// without decoding them). A record that does not decode is an error wrapping
// trail.ErrMalformed; raw may be reused once DetectJSON returns.
func (d *Detector) DetectJSON(ctx context.Context, raw []byte) ([]alert.Alert, error) {
	rec, err := trail.DecodeRecord(raw)
	if err != nil {
		return nil, err
	}
	return d.Detect(ctx, rec)
}

// count adds the match to its finding's count in the window of its event time: its event
// ID (with the tally value, so the alert can list what the hits were), or for a distinct rule
// the value it counts.
func (d *Detector) count(ctx context.Context, m Match, a *alert.Alert) (key string, reached bool, members []string, err error) {
	if d.Counts == nil {
		return "", false, nil, errors.New("no counter configured")
	}
	r := m.Rule
	start := windowStart(a.EventTime, r.window)
	key = ThresholdKey(r.ID, d.Engine.prints.Of(a), start)
	member := a.EventID
	switch {
	case r.Distinct != "":
		member = boundedMember(m.Distinct)
		if m.Distinct == "" {
			member = absentValue
		}
	case len(r.Tally) > 0:
		member = boundedMember(a.EventID + tallySep + m.Tally)
	}
	reached, members, err = d.Counts.Add(ctx, key, member, r.Threshold, start.Add(r.window+counterRetention))
	return key, reached, members, err
}

// crossed makes a threshold rule's alert the finding it is: the count reached in this window
// (key, with its members), not the record that happened to find it reached (eventID): every
// later hit, a redelivered file, and the other path (real time vs log file) name the same
// finding, so the alert claim sends it once.
func crossed(a *alert.Alert, r *Rule, key string, members []string, eventID string) {
	a.Details = append(a.Details, thresholdDetails(r, windowStart(a.EventTime, r.window), members)...)
	a.Details = append(a.Details, alert.Detail{Label: "Crossed with event", Value: eventID})
	a.EventID = thresholdEventID(key)
}

// thresholdEventID names a threshold finding by its count's key: "threshold-" and a hash of
// rule, window and fingerprint, stable whichever record crossed the threshold.
func thresholdEventID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "threshold-" + hex.EncodeToString(sum[:12])
}

func windowStart(t time.Time, w time.Duration) time.Time { return t.UTC().Truncate(w) }

// ThresholdKey is the counter key of one finding in one window: "rt#<rule>#<window start,
// Unix seconds>#<alert fingerprint>". The "rt#" prefix keeps it apart from the alert layer's
// items when both share the alert state table.
func ThresholdKey(ruleID, fingerprint string, windowStart time.Time) string {
	return "rt#" + ruleID + "#" + strconv.FormatInt(windowStart.Unix(), 10) + "#" + fingerprint
}

// Members of a threshold count: an event ID and its tally value are joined by tallySep; a
// distinct rule's hit without the field counts as absentValue (one value however many).
const (
	tallySep    = "\t"
	absentValue = "(absent)"
	// maxMember bounds one member; a longer value keeps its head and a hash of the whole.
	maxMember = 256
	// maxListed values are listed in an alert; the rest are counted.
	maxListed = 10
)

func boundedMember(s string) string {
	if len(s) <= maxMember {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	head := s[:maxMember-40]
	for len(head) > 0 && !utf8RuneStart(head[len(head)-1]) {
		head = head[:len(head)-1]
	}
	return head + "…#" + hex.EncodeToString(sum[:8])
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// thresholdDetails say why a threshold alert went out: the threshold and window, and what the
// window's hits were (a distinct rule's values, or a tally's values with their counts), as far
// as the counter returned them.
func thresholdDetails(r *Rule, start time.Time, members []string) []alert.Detail {
	what := "hits"
	if r.Distinct != "" {
		what = "distinct " + r.Distinct + " values"
	}
	out := []alert.Detail{{Label: "Threshold",
		Value: fmt.Sprintf("%d or more %s in the %s window from %s", r.Threshold, what, r.Window, start.Format(time.RFC3339))}}
	switch {
	case len(members) == 0:
	case r.Distinct != "":
		vals := append([]string(nil), members...)
		sort.Strings(vals)
		out = append(out, alert.Detail{Label: "Distinct " + r.Distinct, Value: listed(vals)})
	case len(r.Tally) > 0:
		out = append(out, alert.Detail{Label: strings.Join(r.Tally, ":"), Value: tallied(members)})
	}
	return out
}

// tallied counts the tally values of members (eventID<tab>value) and lists them, most
// frequent first: "iam.amazonaws.com:CreateUser ×3, s3.amazonaws.com:GetObject ×1".
func tallied(members []string) string {
	counts := map[string]int{}
	for _, m := range members {
		_, v, _ := strings.Cut(m, tallySep)
		if v == "" {
			v = absentValue
		}
		counts[v]++
	}
	vals := make([]string, 0, len(counts))
	for v := range counts {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool {
		if counts[vals[i]] != counts[vals[j]] {
			return counts[vals[i]] > counts[vals[j]]
		}
		return vals[i] < vals[j]
	})
	for i, v := range vals {
		vals[i] = fmt.Sprintf("%s ×%d", v, counts[v])
	}
	return listed(vals)
}

// listed joins at most maxListed values, saying how many more there were.
func listed(vals []string) string {
	if len(vals) <= maxListed {
		return strings.Join(vals, ", ")
	}
	return strings.Join(vals[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(vals)-maxListed)
}

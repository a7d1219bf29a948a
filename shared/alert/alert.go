package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Severity ranks an alert; subscribers filter on it (say, SMS only for HIGH).
type Severity string

// Severities, most urgent first.
const (
	High   Severity = "HIGH"
	Medium Severity = "MEDIUM"
	Low    Severity = "LOW"
)

// Detail is one extra labelled line of an alert's email ("MFA used: No").
type Detail struct {
	Label, Value string
}

// Alert is one finding about one event. The text fields are copied from the event as they
// are; rendering sanitizes them, so nothing attacker-controlled reaches a subject or an SMS raw.
type Alert struct {
	Kind      string   // stable machine name, e.g. "untrusted-source-ip"
	Severity  Severity //
	Title     string   // short phrase for people, e.g. "untrusted sign-in"
	Account   string
	Region    string
	Principal string // ARN or principal ID of the caller
	User      string // display name of the caller
	SourceIP  string
	EventID   string // the cloud's own event ID (CloudTrail eventID, Huawei trace_id, Alibaba eventId, Tencent EventId)
	EventName string
	EventTime time.Time
	UserAgent string
	Details   []Detail
	// Attack lists the MITRE ATT&CK tactic and technique IDs of the finding (TA0005,
	// T1562.008), from its rule; the email names them, the JSON carries them.
	Attack []string
	// Runbook is the first things the responder checks, one step per entry, from its rule.
	Runbook []string
	// Outcome is a sign-in's result ("Success", "Failure"; "" for other events or when the
	// record does not say). It is part of the fingerprint: a success is a different finding from
	// a failure, so an earlier failed sign-in never suppresses the successful one.
	Outcome string
	// Cloud is the cloud the event came from: "" for AWS, else "huawei", "alibaba" or
	// "tencent" (trail.Record.Cloud). Account IDs of two clouds can look alike (a Tencent UIN
	// has 12 digits like an AWS account), so the SMS and subject name it before the account,
	// and it is part of the fingerprint.
	Cloud string
	// FingerprintExtra adds what else makes two alerts of this kind the same finding.
	FingerprintExtra []string

	// Suppressed counts the alerts of the same fingerprint that were held back since
	// SuppressedSince; set by the suppression state, reported in the next alert sent.
	Suppressed      int
	SuppressedSince time.Time

	// Flood control, set by the ledger (see LedgerOptions.FloodCap). FoldingUntil is set on the
	// alert that reached the cap: further alerts of its FloodKey are folded until then. Folded
	// counts the alerts of its FloodKey folded in the previous window (none sent), since
	// FoldedSince, from FoldedFrom (a summary: one /64, one /24, one address or "N addresses");
	// the first alert sent after the window carries it, so the digest is never lost.
	FoldingUntil time.Time
	Folded       int
	FoldedSince  time.Time
	FoldedFrom   string
}

// Fingerprint identifies the finding, not the event: kind, account, principal and source,
// a sign-in's outcome, plus FingerprintExtra — every fact that changes what the responder does.
// Alerts with one fingerprint inside the suppression window are one alert with a count. An
// empty Outcome adds nothing, so fingerprints of other alerts stay as they were.
func (a *Alert) Fingerprint() string {
	var buf [512]byte
	return hashKey(a.appendFingerprintInput(buf[:0]))
}

// appendFingerprintInput appends what Fingerprint hashes: two alerts have one fingerprint
// when their inputs are equal (FingerprintMemo keeps fingerprints by input).
func (a *Alert) appendFingerprintInput(b []byte) []byte {
	for _, part := range [...]string{a.Kind, a.Account, a.Principal, a.SourceIP} {
		b = append(append(b, part...), 0)
	}
	if a.Outcome != "" {
		b = append(append(append(b, "\x01outcome="...), a.Outcome...), 0) // \x01: never a FingerprintExtra of the same text
	}
	if a.Cloud != "" {
		b = append(append(append(b, "\x01cloud="...), a.Cloud...), 0) // absent for AWS: AWS fingerprints stay as they were
	}
	for _, part := range a.FingerprintExtra {
		b = append(append(b, part...), 0)
	}
	return b
}

// FingerprintMemo keeps the fingerprints of recent findings by their input, so a finding met
// again and again (the repeats a log file folds: thousands of one principal's denied reads)
// is hashed once, not once a record. The zero value is ready; it is safe for concurrent use
// and bounded: when it holds maxMemoPrints it is emptied and refilled.
type FingerprintMemo struct {
	mu sync.Mutex
	m  map[string]string
}

const maxMemoPrints = 1 << 14

// Of returns a.Fingerprint().
func (f *FingerprintMemo) Of(a *Alert) string {
	var buf [512]byte
	in := a.appendFingerprintInput(buf[:0])
	f.mu.Lock()
	fp, ok := f.m[string(in)]
	f.mu.Unlock()
	if ok {
		return fp
	}
	fp = hashKey(in)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil || len(f.m) >= maxMemoPrints {
		f.m = make(map[string]string, 64)
	}
	f.m[string(in)] = fp
	return fp
}

// hashKey is the hex of the first 16 bytes of b's SHA-256: a fixed-size key for a list of
// parts. The parts are gathered in one buffer (on the stack when they fit) and hashed at
// once: Fingerprint runs on every record a log file folds.
func hashKey(b []byte) string {
	sum := sha256.Sum256(b)
	var out [32]byte
	hex.Encode(out[:], sum[:16])
	return string(out[:])
}

// FloodKey groups the alerts flood control counts together: kind, account, principal and a
// sign-in's outcome, but not the source address, so an attacker rotating addresses (inside
// an IPv6 /64 or across the Internet) is one flood, not one alert per address. Different
// kinds, principals and outcomes never fold into each other: a success is never folded into
// a flood of failures.
func (a *Alert) FloodKey() string {
	var buf [256]byte
	b := buf[:0]
	for _, part := range [...]string{a.Kind, a.Account, a.Principal} {
		b = append(append(b, part...), 0)
	}
	if a.Outcome != "" {
		b = append(append(append(b, "\x01outcome="...), a.Outcome...), 0)
	}
	return hashKey(b)
}

// DedupeKey identifies one finding of one event: kind, event ID and the finding's own
// identity (its Fingerprint: principal, source, outcome…). A redelivered event yields the same
// key, so it sends nothing twice; two findings that share an event ID (two principals in one
// record, or IDs reused by a sample generator) have different keys, so neither is lost.
func (a *Alert) DedupeKey() string {
	return strings.Join([]string{a.Kind, a.EventID, a.Fingerprint()}, "#")
}

package trail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	stdjson "encoding/json"
	"time"
)

// DerivedIDPrefix starts every event ID derived from a record's content.
const DerivedIDPrefix = "derived-"

// DeriveEventID is the stable ID of a record that has no eventID (seen in re-exported logs and
// some exports): a hash of what identifies the call — time (normalized, so the export form and
// RFC 3339 agree), source, name, region, recipient account, principal, source address, request
// ID and the request parameters (canonical JSON, so whitespace and key order do not matter).
// The same record delivered twice, or once through EventBridge and once in a log file, gets
// the same ID, so redelivery dedupe keeps working. A lean decoder that has these fields fills a
// Record with them and calls DeriveEventID, to agree with DecodeRecord.
func DeriveEventID(r *Record) string {
	at := r.EventTime
	if t, err := ParseTime(at); err == nil {
		at = t.Format(time.RFC3339Nano)
	}
	h := sha256.New()
	for _, part := range []string{at, r.EventSource, r.EventName, r.AWSRegion, r.RecipientAccountID,
		r.UserIdentity.Principal(), r.SourceIPAddress, r.RequestID} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(canonicalJSON(r.RequestParameters))
	return DerivedIDPrefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// canonicalJSON re-encodes a payload with sorted keys and no spaces; null and absent are
// empty. A payload that does not parse is hashed as written.
func canonicalJSON(raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	d := stdjson.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return raw
	}
	out, err := stdjson.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// fill completes a decoded record: a missing eventID is derived from the content.
func (r *Record) fill() {
	if r.EventID == "" {
		r.EventID, r.EventIDDerived = DeriveEventID(r), true
	}
}

// Check says whether the record can be used at all, as every function judges it: it needs a
// valid time (ParseTime), an event name and an identity (userIdentity with a type or a
// principal). The error names the first field that fails, under ErrMalformed. Anything else
// missing or odd leaves the record usable: see OddFields.
func (r *Record) Check() error { return r.CheckUnder("") }

// CheckUnder is Check with field paths under prefix ("detail" for an EventBridge event).
func (r *Record) CheckUnder(prefix string) error {
	problem := func(field, missing string) error {
		p := missing
		if hasPath(r.OddFields, field) {
			p = "of an unexpected JSON type (dropped)"
		}
		return malformed(prefix, &FieldError{Field: field, Problem: p})
	}
	switch {
	case r.EventTime == "":
		return problem("eventTime", "missing")
	case r.EventName == "":
		return problem("eventName", "missing")
	case r.UserIdentity.Type == "" && r.UserIdentity.Principal() == "":
		if hasPath(r.OddFields, "userIdentity") {
			return problem("userIdentity", "")
		}
		return malformed(prefix, &FieldError{Field: "userIdentity", Problem: "missing, or names neither a type nor a principal"})
	}
	if _, err := r.Time(); err != nil {
		return malformed(prefix, err)
	}
	return nil
}

// Usable reports whether Check passes.
func (r *Record) Usable() bool { return r.Check() == nil }

// Check is Record.Check for the event's record, with paths under "detail".
func (e *Event) Check() error { return e.Detail.CheckUnder("detail") }

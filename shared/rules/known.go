package rules

import (
	"context"
	"strings"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/trail"
)

// Known returns the fingerprints (alert.Alert.Fingerprint) of the alerts Detect would return
// for the record raw, in order, when they can be known without decoding it; ok is false when
// they cannot, and then nothing is said: the record must be decoded and Detect run on it. An
// empty list with ok is a record that raises nothing (no rule matches it, none fails): one
// the prefilter admits to no rule (Admits) among them, so a caller need not ask Admits first.
//
// fields holds the record's kept fields as Fingerprints takes them (PrefilterFields,
// userIdentity.onBehalfOf, cloud and eventTime, with the values trail.DecodeRecord gives them;
// the record passes trail.Record.Check), raw its whole JSON object. Each rule the prefilter
// admits is judged in turn: one whose prefilter is true on the kept fields and whose alert
// they say in full (Fingerprints) matches; any other must read nothing but PrefilterFields
// and payload paths (paths.go) and is evaluated on the kept fields and those paths found in
// raw: its condition (through its recent verdicts on the same inputs, verdicts.go), and when
// that is true its fingerprint, distinct and tally paths. A rule that fails, or anything not readable this
// way (a sign-in, whose outcome is in its payload; a kept value a decoder may have repaired;
// payloads a decoder could read otherwise), is "not known".
//
// A threshold rule that matches is counted as Detect counts it (its member needs the
// record's eventID, read from raw): the alert is known once the count says whether the
// threshold is reached. Counting is idempotent per member, so when the record is decoded
// after all (not known, or its finding new to the caller), Detect counting it again changes
// nothing. A count that fails is "not known": Detect meets the failure and reports it.
func (d *Detector) Known(ctx context.Context, fields *trail.Record, raw []byte, dst []string) (_ []string, ok bool) {
	return d.known(ctx, fields, raw, false, dst, newAlerts{})
}

// KnownAlerts is Known for kept fields that hold the record's payloads and eventID already,
// as locatePayloads sets them from its raw JSON (the log-file parser notes them in its pass:
// counters.Parser.PayloadsLocated), so the record need not be read again; and it builds, in
// the same pass, the alerts of the findings isNew says the caller has no alert of yet (nil:
// none), as Detect builds them from the decoded record (Match.Alert; a threshold's crossing),
// the kept fields including what an alert shows beyond its fingerprint (awsRegion, userAgent,
// the eventID). prints gets every finding's fingerprint, in order; alerts the new findings'
// alerts, in the same order: a log file's first record of a finding costs no decode either,
// and each threshold is counted once. ok is false when they cannot be known (as for Known,
// and when a new finding's alert cannot be built: no eventID to name it by, or a value it
// shows that a decoder may have repaired). fields' strings may be views of a read buffer;
// the alerts own theirs.
func (d *Detector) KnownAlerts(ctx context.Context, fields *trail.Record, isNew func(print string) bool, prints []string, alerts []alert.Alert) (_ []string, _ []alert.Alert, ok bool) {
	var about trail.Record // filled for the first new finding; the alerts copy what they show of it
	out := alerts
	prints, ok = d.known(ctx, fields, nil, true, prints, newAlerts{isNew: isNew, out: &out, about: &about})
	if !ok {
		return prints, alerts, false
	}
	return prints, out, true
}

// newAlerts is how known builds the alerts of new findings (KnownAlerts); isNew nil builds
// none.
type newAlerts struct {
	isNew func(print string) bool
	out   *[]alert.Alert
	about *trail.Record // what the alerts read of the record, its strings owned (ownedAbout)
}

// wants says whether the finding print needs its alert built, the record as alerts read it
// then in about; ok is false when it needs one that cannot be built from the kept fields.
func (b newAlerts) wants(print string, fields *trail.Record) (want, ok bool) {
	if b.isNew == nil || !b.isNew(print) {
		return false, true
	}
	if b.about.EventTime == "" { // not filled yet (every kept record has an eventTime)
		if fields.EventID == "" || !clean(fields.AWSRegion) || !clean(fields.UserAgent) {
			return true, false
		}
		ownedAbout(b.about, fields)
	}
	return true, true
}

// ownedAbout copies what Match.Alert reads of a non-sign-in record (alert.About: account,
// region, identity, source, eventID, name, time, user agent, cloud; the details' source,
// identity type and error code) into r, its strings cut from one copy: fields may be views
// of a read buffer.
func ownedAbout(r, fields *trail.Record) {
	id := &fields.UserIdentity
	rid := &r.UserIdentity
	var obo *string
	if id.OnBehalfOf != nil {
		r.UserIdentity.OnBehalfOf = &trail.OnBehalfOf{}
		obo = &r.UserIdentity.OnBehalfOf.UserID
	}
	pairs := [...]struct{ dst, src *string }{
		{&r.EventTime, &fields.EventTime}, {&r.EventSource, &fields.EventSource}, {&r.EventName, &fields.EventName},
		{&r.EventType, &fields.EventType}, {&r.ErrorCode, &fields.ErrorCode}, {&r.SourceIPAddress, &fields.SourceIPAddress},
		{&r.RecipientAccountID, &fields.RecipientAccountID}, {&r.AWSRegion, &fields.AWSRegion}, {&r.UserAgent, &fields.UserAgent},
		{&r.Cloud, &fields.Cloud}, {&r.EventID, &fields.EventID},
		{&rid.Type, &id.Type}, {&rid.ARN, &id.ARN}, {&rid.PrincipalID, &id.PrincipalID},
		{&rid.AccountID, &id.AccountID}, {&rid.UserName, &id.UserName}, {&rid.InvokedBy, &id.InvokedBy},
		{obo, nil},
	}
	if obo != nil {
		pairs[len(pairs)-1].src = &id.OnBehalfOf.UserID
	}
	n := 0
	for _, p := range pairs {
		if p.src != nil {
			n += len(*p.src)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range pairs {
		if p.src != nil {
			b.WriteString(*p.src)
		}
	}
	all, at := b.String(), 0
	for _, p := range pairs {
		if p.src != nil {
			*p.dst, at = all[at:at+len(*p.src)], at+len(*p.src)
		}
	}
}

// known is Known, or KnownAlerts (located; build makes the new findings' alerts).
func (d *Detector) known(ctx context.Context, fields *trail.Record, raw []byte, located bool, dst []string, build newAlerts) (_ []string, ok bool) {
	n := len(dst)
	readable := false // whether the kept fields can decide: checked once some rule is admitted
	var s *clearScratch
	defer func() {
		if s != nil {
			*s = clearScratch{key: s.key[:0]}
			clearScratches.Put(s)
		}
	}()
	for c := range d.Engine.admitted(fields) {
		if !readable {
			if fields.EventType == "AwsConsoleSignIn" || fields.EventSource == "signin.amazonaws.com" || !cleanFields(fields) {
				return dst, false
			}
			readable = true
		}
		if c.foldable && c.filter.eval(fields) == isTrue {
			print := d.Engine.keptFingerprint(c, fields)
			dst = append(dst, print)
			switch want, ok := build.wants(print, fields); {
			case !ok:
				return dst[:n], false
			case want:
				m := Match{Rule: c.rule}
				for _, f := range c.foldBy {
					m.Fingerprint = append(m.Fingerprint, fieldValue(build.about, f))
				}
				*build.out = append(*build.out, m.Alert(build.about))
			}
			continue
		}
		if !c.partial {
			return dst[:n], false
		}
		if s == nil {
			s = clearScratches.Get().(*clearScratch)
			s.rec = *fields
			if !located && !locatePayloads(raw, &s.rec) {
				return dst[:n], false
			}
			s.ev = eventValue{rec: &s.rec, trees: d.Engine.treesFor(fields.EventName)}
			s.act.ev = &s.ev
		}
		matched, key, err := c.evalCached(&s.act, s.key)
		s.key = key
		if err != nil {
			return dst[:n], false
		}
		if !matched {
			continue
		}
		if !c.partialAll { // its fingerprint, distinct or tally reads more than this sees
			return dst[:n], false
		}
		m := c.match(&s.act)
		t, err := trail.ParseTime(fields.EventTime)
		if err != nil {
			return dst[:n], false
		}
		a := alert.Alert{Kind: c.rule.ID, Account: fields.Account(), Principal: fields.UserIdentity.Principal(),
			SourceIP: fields.SourceIPAddress, Cloud: fields.Cloud, EventID: strings.Clone(s.rec.EventID), EventTime: t.UTC()}
		if len(m.Fingerprint) > 0 {
			a.FingerprintExtra = m.Fingerprint
		}
		var countKey string
		var members []string
		if c.rule.HasThreshold() {
			if a.EventID == "" { // the member a count needs: the decoder's (derived) eventID
				return dst[:n], false
			}
			var reached bool
			countKey, reached, members, err = d.count(ctx, m, &a)
			if err != nil {
				return dst[:n], false
			}
			if !reached {
				continue
			}
		}
		print := d.Engine.prints.Of(&a)
		dst = append(dst, print)
		switch want, ok := build.wants(print, fields); {
		case !ok:
			return dst[:n], false
		case want:
			for i, v := range m.Fingerprint {
				m.Fingerprint[i] = strings.Clone(v) // may be views of the payloads
			}
			a := m.Alert(build.about)
			if c.rule.HasThreshold() {
				crossed(&a, m.Rule, countKey, members, build.about.EventID)
			}
			*build.out = append(*build.out, a)
		}
	}
	return dst, true
}

// keptFingerprint is the fingerprint of a foldable rule's alert on a record with these kept
// fields (Fingerprints).
func (e *Engine) keptFingerprint(c *compiledRule, rec *trail.Record) string {
	a := alert.Alert{Kind: c.rule.ID, Account: rec.Account(), Principal: rec.UserIdentity.Principal(),
		SourceIP: rec.SourceIPAddress, Cloud: rec.Cloud}
	if len(c.foldBy) > 0 {
		var extra [4]string // on the stack for the pack's rules (the memo does not keep it)
		a.FingerprintExtra = extra[:0]
		for _, f := range c.foldBy {
			a.FingerprintExtra = append(a.FingerprintExtra, fieldValue(rec, f))
		}
	}
	return e.prints.Of(&a)
}

package counters

import (
	"bytes"
	"encoding/binary"
	stdjson "encoding/json"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/trail"
)

// Record is what the counters take from one CloudTrail record (its Key; the event source, which
// the aggregator's rules also read, is Key.EventSource). Its strings may point into the log
// reader's buffer: they are valid until the next record is read (Tally.Add copies).
type Record struct {
	Key
}

// Parser reads the few fields the counters need from a record in the same pass that
// validates it (a logfile.ParseFunc), never decoding the rest: request and response objects,
// session context and TLS details are only checked to be valid JSON. Field rules:
//   - hour: eventTime (any form trail.ParseTime accepts) in UTC, truncated to the hour;
//   - account: recipientAccountId, else userIdentity.accountId;
//   - principal: userIdentity's ARN, else its principal ID (else the Identity Center user,
//     the invoking service, the user name: trail.UserIdentity.Principal);
//   - resource type: the type of the first resources entry that has one;
//   - source IP, event name, error code, event type, event source, region (awsRegion), cloud:
//     the fields as written (cloud is empty in CloudTrail's records: AWS);
//   - userAgent: kept, not counted (an alert shows it: rules.Detector.KnownAlerts).
//
// Keys are matched exactly, as CloudTrail writes them (Go's JSON decoders would also take "Arn"
// for arn; Python's json, like this parser, does not). A record without eventTime, eventName or
// an account, with an eventTime trail.ParseTime refuses (an impossible date), or with a kept
// field that is not a string, is malformed.
//
// In the same pass it notes where the record's payloads (trail.PayloadNames) and eventID lie, so
// the detection rules need not scan the record again for them (PayloadsLocated).
type Parser struct {
	sc  logfile.Scanner
	raw rawFields
	rec Record
	// Reused across records: filled per record to apply trail's field rules without
	// allocating or clearing a whole trail.Record each time.
	trec trail.Record
	obo  trail.OnBehalfOf
	// fieldErr is the first kept field of the wrong type: the parse goes on to the record's
	// end, so the record, valid JSON, is handed out with the error (logfile.RecordError.Record)
	// for consumers that do not need that field.
	fieldErr error
	// ambiguous: a kept member appears twice, or a member's key may name a kept field to a
	// decoder that unescapes keys and matches them regardless of case (Ambiguous).
	ambiguous, seenIdentity, seenOnBehalfOf bool

	// pay: where the payloads and eventID lie, for consumers that read them (PayloadsLocated).
	pay payloadSpans
}

// payloadSpans is where the record's payloads and eventID lie (PayloadsLocated): the values of
// the top-level members so keyed, as slices of the buffer, noted in the pass that validates it.
type payloadSpans struct {
	payloads [len(trail.PayloadNames)][]byte // in trail.PayloadNames' order
	eventID  []byte
	// record is the last record parsed (nil when its parse failed), for the check of its
	// top-level keys for a DEL byte (PayloadsLocated).
	record []byte
	// unlocated: a top-level key has escapes or bytes above 0x7f, or differs from a payload's
	// only in letter case, or a payload is written twice. idBad: a key equal to eventID but
	// for letter case, or eventID twice. delChecked: the DEL check has been made.
	unlocated, idBad, delChecked bool
}

// rawFields are the string tokens found (quotes included), as slices of the buffer.
type rawFields struct {
	eventTime, eventName, eventSource, eventType, sourceIP, errorCode, recipient, cloud, region, userAgent []byte
	idType, arn, principalID, accountID, userName, invokedBy, onBehalfOfUser                               []byte
	resourceType                                                                                           []byte
}

// Record returns the last record parsed; valid until the next Parse.
func (p *Parser) Record() *Record { return &p.rec }

// Fields returns the last record parsed as a trail.Record filled in part: the fields the
// parser keeps (eventTime, eventSource, eventName, eventType, errorCode, sourceIPAddress,
// recipientAccountId, awsRegion, userAgent, cloud; userIdentity's type, arn, principalId, accountId, userName,
// invokedBy and onBehalfOf.userId), with the values trail.DecodeRecord gives them, unless
// Ambiguous. They cover rules.PrefilterFields, so the detection rules can say whether a record
// is worth decoding in full (rules.Engine.Admits), and the rest of an alert's fingerprint
// (rules.Detector.Fingerprints). When PayloadsLocated, it also holds the payloads and eventID
// (see there), so a consumer need not scan the record for them again; otherwise they are
// unset or not to be trusted; each Parse sets or unsets them, so none outlives its record.
// Valid until the next Parse, and only after a Parse that succeeded.
func (p *Parser) Fields() *trail.Record { return &p.trec }

// Ambiguous reports whether the last record's kept fields may not be what a full decoder reads
// in it: a kept member appears twice, or a member's key differs from a kept one only in letter
// case or is written with escapes (trail.DecodeRecord unescapes keys and falls back to
// case-insensitive matching, as Go's JSON decoders do; this parser matches bytes exactly).
// CloudTrail writes neither; a consumer filtering on Fields must not trust them for such a
// record, and decode it in full instead.
func (p *Parser) Ambiguous() bool { return p.ambiguous }

// PayloadsLocated reports whether the last record's payloads (trail.PayloadNames) and eventID
// were located in the pass that validated it, so a consumer may read them from Fields instead
// of scanning the record again: its RequestParameters, ResponseElements, AdditionalEventData,
// ServiceEventDetails, Addendum, EdgeDeviceDetails and InsightDetails are then the raw JSON
// values of those members (absent ones nil), as trail.DecodeRecord reads them, and EventID
// is the eventID when it is written once, exactly so keyed, as a string without escapes of
// valid UTF-8 without U+FFFD (what a decoder gives unchanged), else empty.
//
// It is false, and those fields are not to be read (they are unset, or not what a decoder
// reads), when a decoder could read a payload otherwise than by its exact key: a top-level
// key has escapes or bytes outside printable ASCII, a key differs from a payload's only in
// letter case (Go's decoders match keys regardless of case), or a payload is written twice;
// and when the last Parse found invalid JSON. It is true for a record Parse returned with an
// error on its fields only (logfile.RecordError.Record). CloudTrail's records are always
// located. These are rules.locatePayloads' rules, which the rules' tests hold it to.
//
// Like the other fields, the payloads and EventID are views of the log reader's buffer: valid
// until the next record is read, to be copied (strings.Clone) by anything that keeps them.
func (p *Parser) PayloadsLocated() bool {
	s := &p.pay
	if s.record == nil || s.unlocated {
		return false
	}
	// A DEL (0x7f) is printable to the key scanner, not to these rules: it is looked for
	// here, in the rare record that holds one (a single vectorized pass), rather than in each
	// key during the parse.
	if !s.delChecked {
		s.delChecked = true
		if bytes.IndexByte(s.record, 0x7f) >= 0 && p.delKey(s.record) {
			s.unlocated = true
			p.setPayloads()
			return false
		}
	}
	return true
}

// Parse is a logfile.ParseFunc: it validates the record at b[i] and keeps its counter fields.
// A valid record it cannot count (a field rule fails) is returned with its end and the error,
// so the reader hands it out (logfile.RecordError.Record).
func (p *Parser) Parse(b []byte, i int) (int, error) {
	p.raw, p.fieldErr, p.ambiguous, p.seenIdentity, p.seenOnBehalfOf = rawFields{}, nil, false, false, false
	p.pay = payloadSpans{}
	end, err := p.object(b, i, topLevel)
	if err != nil {
		p.pay.unlocated = true
		p.setPayloads()
		return 0, err
	}
	p.pay.record = b[i:end:end]
	p.setPayloads()
	if p.fieldErr != nil {
		return end, p.fieldErr
	}
	return end, p.derive()
}

// objectKind says which object is being parsed, so which members it keeps.
type objectKind int

const (
	topLevel objectKind = iota
	identity
	onBehalfOf
	resource
)

// object parses the object at b[i], handing each member's value to the member function of
// its kind (which returns the index past the value). A switch rather than a function value:
// direct calls, for the thirty-odd members of every record.
func (p *Parser) object(b []byte, i int, kind objectKind) (int, error) {
	if i = logfile.SkipSpace(b, i); i >= len(b) {
		return 0, logfile.ErrShort
	}
	if b[i] != '{' {
		return 0, logfile.Syntax(i, "want an object")
	}
	i, done, err := open(b, i, '}')
	if done || err != nil {
		return i, err
	}
	for {
		if b[i] != '"' {
			return 0, logfile.Syntax(i, "unexpected %q where an object key belongs", b[i])
		}
		ks := i
		var plain bool
		if i, plain, err = logfile.Key(b, i); err != nil {
			return 0, err
		}
		key := b[ks+1 : i-1]
		if !plain && !printable(key) {
			p.ambiguous = true // an escaped or non-ASCII key may name a kept field
			if kind == topLevel {
				p.pay.unlocated = true // or a payload
			}
		}
		if i = logfile.SkipSpace(b, i); i >= len(b) {
			return 0, logfile.ErrShort
		}
		if b[i] != ':' {
			return 0, logfile.Syntax(i, "unexpected %q after an object key (want ':')", b[i])
		}
		if i = logfile.SkipSpace(b, i+1); i >= len(b) {
			return 0, logfile.ErrShort
		}
		switch kind {
		case topLevel:
			i, err = p.topMember(key, b, i)
		case identity:
			i, err = p.identityMember(key, b, i)
		case onBehalfOf:
			i, err = p.onBehalfOfMember(key, b, i)
		default:
			i, err = p.resourceMember(key, b, i)
		}
		if err != nil {
			return 0, err
		}
		if i, done, err = next(b, i, '}', "after an object member"); done || err != nil {
			return i, err
		}
	}
}

// open steps into the object or array whose opening bracket is at b[i]: it returns the index
// of its first element, or, with done, the index past it when it is empty.
func open(b []byte, i int, closer byte) (int, bool, error) {
	if i = logfile.SkipSpace(b, i+1); i >= len(b) {
		return 0, false, logfile.ErrShort
	}
	if b[i] == closer {
		return i + 1, true, nil
	}
	return i, false, nil
}

// next steps over what follows an element at b[i] (after whitespace): a ',' (it returns the
// index of the next element), or the closing bracket (done, and the index past it).
func next(b []byte, i int, closer byte, where string) (int, bool, error) {
	if i = logfile.SkipSpace(b, i); i >= len(b) {
		return 0, false, logfile.ErrShort
	}
	switch b[i] {
	case ',':
		if i = logfile.SkipSpace(b, i+1); i >= len(b) {
			return 0, false, logfile.ErrShort
		}
		return i, false, nil
	case closer:
		return i + 1, true, nil
	}
	return 0, false, logfile.Syntax(i, "unexpected %q %s (want ',' or %q)", b[i], where, closer)
}

func (p *Parser) topMember(key, b []byte, i int) (int, error) {
	switch string(key) {
	case "eventTime":
		return p.str(b, i, &p.raw.eventTime, "eventTime")
	case "eventName":
		return p.str(b, i, &p.raw.eventName, "eventName")
	case "eventSource":
		return p.str(b, i, &p.raw.eventSource, "eventSource")
	case "eventType":
		return p.str(b, i, &p.raw.eventType, "eventType")
	case "sourceIPAddress":
		return p.str(b, i, &p.raw.sourceIP, "sourceIPAddress")
	case "errorCode":
		return p.str(b, i, &p.raw.errorCode, "errorCode")
	case "recipientAccountId":
		return p.str(b, i, &p.raw.recipient, "recipientAccountId")
	case "awsRegion":
		return p.optional(b, i, &p.raw.region, "awsRegion")
	case "userAgent":
		// Not counted: part of an alert (rules.Detector.KnownAlerts builds one from Fields).
		return p.optional(b, i, &p.raw.userAgent, "userAgent")
	case "cloud":
		// Not CloudTrail's (cloudaudit's records name their cloud); a decoder reads it into
		// trail.Record.Cloud, part of an alert's fingerprint.
		return p.optional(b, i, &p.raw.cloud, "cloud")
	case "userIdentity":
		if p.seenIdentity {
			p.ambiguous = true
		}
		p.seenIdentity = true
		if b[i] == 'n' {
			return logfile.Literal(b, i, "null")
		}
		return p.object(b, i, identity)
	case "resources":
		return p.resources(b, i)
	}
	// Most keys (eventVersion, requestID, tlsDetails, …) stop at the length mask.
	if len(key) < 64 && (topKeyLens|locatedLens)>>len(key)&1 != 0 {
		if lookalike(key, topKeyLens, topKeys) {
			p.ambiguous = true
		}
		if locatedLens>>len(key)&1 != 0 {
			return p.locate(key, b, i)
		}
	}
	return p.sc.Value(b, i)
}

// locate validates the value at b[i] of a top-level member whose key has the length of a
// payload's or eventID's, and notes where it lies when the key is one of them. A key equal to
// one but for letter case, which a decoder reads as it, or one written twice, is noted too
// (PayloadsLocated). The folding compare runs only on a key of a name's length that is not
// that name (readOnly, of addendum's length, where it stops at the first byte).
func (p *Parser) locate(key, b []byte, i int) (int, error) {
	end, err := p.sc.Value(b, i)
	if err != nil {
		return 0, err
	}
	s := &p.pay
	if len(key) == len("eventID") {
		if string(key) == "eventID" {
			s.idBad = s.idBad || s.eventID != nil
			s.eventID = b[i:end]
			return end, nil
		}
		if foldEqual(key, "eventID") {
			s.idBad = true // a decoder may read this one's value as eventID
		}
	}
	for n := range trail.PayloadNames {
		if name := trail.PayloadNames[n]; len(name) == len(key) {
			if string(key) == name {
				s.unlocated = s.unlocated || s.payloads[n] != nil
				s.payloads[n] = b[i:end:end]
				return end, nil
			}
			if foldEqual(key, name) {
				s.unlocated = true
				return end, nil
			}
		}
	}
	return end, nil
}

// setPayloads sets the payloads and EventID of the trail.Record Fields returns from the spans
// noted, when they are located; otherwise it unsets them: a record's never outlive it.
func (p *Parser) setPayloads() {
	r, s := &p.trec, &p.pay
	if s.unlocated {
		r.RequestParameters, r.ResponseElements, r.AdditionalEventData, r.ServiceEventDetails = nil, nil, nil, nil
		r.Addendum, r.EdgeDeviceDetails, r.InsightDetails, r.EventID = nil, nil, nil, ""
		return
	}
	pl := &s.payloads
	r.RequestParameters, r.ResponseElements, r.AdditionalEventData, r.ServiceEventDetails = pl[0], pl[1], pl[2], pl[3]
	r.Addendum, r.EdgeDeviceDetails, r.InsightDetails = pl[4], pl[5], pl[6]
	r.EventID = ""
	if id := s.eventID; !s.idBad && len(id) > 2 && id[0] == '"' && plainText(id[1:len(id)-1]) {
		r.EventID = unsafe.String(&id[1], len(id)-2)
	}
}

// plainText reports whether a string token's content is its value, as a decoder gives it
// unchanged: no escapes, valid UTF-8 without U+FFFD (which a decoder also writes for invalid
// bytes, so a value holding it is not certainly the one written). Eight bytes at a time: it
// runs on every record's eventID.
func plainText(v []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var high uint64
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(v[i:])
		if s := x ^ '\\'*ones; (s-ones)&^s&highs != 0 { // a zero byte in s: a backslash in x
			return false
		}
		high |= x
	}
	for ; i < len(v); i++ {
		if v[i] == '\\' {
			return false
		}
		high |= uint64(v[i])
	}
	return high&highs == 0 || utf8.Valid(v) && !bytes.Contains(v, replacementChar)
}

// replacementChar is U+FFFD in UTF-8.
var replacementChar = []byte(string(utf8.RuneError))

// delKey reports whether a top-level key of rec, one valid JSON object, holds a DEL byte
// (not printable ASCII: PayloadsLocated). Any surprise in rec counts as one.
func (p *Parser) delKey(rec []byte) bool {
	i := logfile.SkipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return true
	}
	if i = logfile.SkipSpace(rec, i+1); i < len(rec) && rec[i] == '}' {
		return false
	}
	for i < len(rec) && rec[i] == '"' {
		kend, _, err := logfile.Key(rec, i)
		if err != nil {
			return true
		}
		if bytes.IndexByte(rec[i+1:kend-1], 0x7f) >= 0 {
			return true
		}
		if i = logfile.SkipSpace(rec, kend); i >= len(rec) || rec[i] != ':' {
			return true
		}
		end, err := p.sc.Value(rec, logfile.SkipSpace(rec, i+1))
		if err != nil {
			return true
		}
		if i = logfile.SkipSpace(rec, end); i < len(rec) && rec[i] == '}' {
			return false
		}
		if i >= len(rec) || rec[i] != ',' {
			return true
		}
		i = logfile.SkipSpace(rec, i+1)
	}
	return true
}

// The kept members' keys, and a mask of their lengths (keys are shorter than 64 bytes).
var (
	topKeys = []string{"eventTime", "eventName", "eventSource", "eventType", "sourceIPAddress", "errorCode",
		"recipientAccountId", "userIdentity", "resources", "cloud", "awsRegion", "userAgent"}
	identityKeys   = []string{"type", "arn", "principalId", "accountId", "userName", "invokedBy", "onBehalfOf"}
	onBehalfOfKeys = []string{"userId"}
	topKeyLens     = lengths(topKeys)
	identityLens   = lengths(identityKeys)
	onBehalfOfLens = lengths(onBehalfOfKeys)
	// locatedLens: the lengths of the payloads' keys and eventID's (PayloadsLocated).
	locatedLens = lengths(trail.PayloadNames[:]) | 1<<len("eventID")
)

func lengths(keys []string) uint64 {
	var m uint64
	for _, k := range keys {
		m |= 1 << len(k)
	}
	return m
}

// printable reports whether key is printable ASCII without a backslash: its bytes are its
// name, folded by no decoder into another.
func printable(key []byte) bool {
	for _, c := range key {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// lookalike reports whether key, not one of keys, equals one of them but for ASCII letter case
// (keys with bytes above 0x7f, which Go's decoders may also fold, are caught by printable).
func lookalike(key []byte, lens uint64, keys []string) bool {
	if len(key) >= 64 || lens>>len(key)&1 == 0 {
		return false
	}
	for _, k := range keys {
		if len(k) == len(key) && foldEqual(key, k) {
			return true
		}
	}
	return false
}

// foldEqual compares a key with a kept name (ASCII letters), ASCII letter case ignored.
func foldEqual(key []byte, name string) bool {
	for i := range len(key) {
		c := key[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if n := name[i]; 'A' <= n && n <= 'Z' {
			if c != n+'a'-'A' {
				return false
			}
		} else if c != n {
			return false
		}
	}
	return true
}

func (p *Parser) identityMember(key, b []byte, i int) (int, error) {
	switch string(key) {
	case "type":
		return p.str(b, i, &p.raw.idType, "userIdentity.type")
	case "arn":
		return p.str(b, i, &p.raw.arn, "userIdentity.arn")
	case "principalId":
		return p.str(b, i, &p.raw.principalID, "userIdentity.principalId")
	case "accountId":
		return p.str(b, i, &p.raw.accountID, "userIdentity.accountId")
	case "userName":
		return p.str(b, i, &p.raw.userName, "userIdentity.userName")
	case "invokedBy":
		return p.str(b, i, &p.raw.invokedBy, "userIdentity.invokedBy")
	case "onBehalfOf":
		if p.seenOnBehalfOf {
			p.ambiguous = true
		}
		p.seenOnBehalfOf = true
		if b[i] == 'n' {
			return logfile.Literal(b, i, "null")
		}
		return p.object(b, i, onBehalfOf)
	}
	if lookalike(key, identityLens, identityKeys) {
		p.ambiguous = true
	}
	return p.sc.Value(b, i)
}

func (p *Parser) onBehalfOfMember(key, b []byte, i int) (int, error) {
	if string(key) == "userId" {
		return p.str(b, i, &p.raw.onBehalfOfUser, "userIdentity.onBehalfOf.userId")
	}
	if lookalike(key, onBehalfOfLens, onBehalfOfKeys) {
		p.ambiguous = true
	}
	return p.sc.Value(b, i)
}

// resources keeps the first entry's type; entries that are not objects are only validated.
func (p *Parser) resources(b []byte, i int) (int, error) {
	if b[i] != '[' {
		return p.sc.Value(b, i) // null, or a shape CloudTrail does not write: no resource type
	}
	i, done, err := open(b, i, ']')
	for !done && err == nil {
		if b[i] == '{' && p.raw.resourceType == nil {
			i, err = p.object(b, i, resource)
		} else {
			i, err = p.sc.Value(b, i)
		}
		if err == nil {
			i, done, err = next(b, i, ']', "in resources")
		}
	}
	if err != nil {
		return 0, err
	}
	return i, nil
}

func (p *Parser) resourceMember(key, b []byte, i int) (int, error) {
	if string(key) == "type" {
		end, err := p.str(b, i, &p.raw.resourceType, "resources[].type")
		if len(p.raw.resourceType) == 2 { // "": keep looking in the next entries
			p.raw.resourceType = nil
		}
		return end, err
	}
	return p.sc.Value(b, i)
}

// optional keeps a string member the counters can do without (awsRegion, cloud): of another
// type, the record is counted without it and is Ambiguous rather than malformed.
func (p *Parser) optional(b []byte, i int, dst *[]byte, field string) (int, error) {
	if b[i] == '"' {
		return p.str(b, i, dst, field)
	}
	if b[i] != 'n' {
		p.ambiguous = true
	}
	return p.sc.Value(b, i)
}

// str keeps the string token at b[i] in *dst; null leaves it unset; another type is an error.
func (p *Parser) str(b []byte, i int, dst *[]byte, field string) (int, error) {
	switch b[i] {
	case '"':
		end, err := logfile.String(b, i)
		if err == nil {
			if *dst != nil {
				p.ambiguous = true // a kept member twice
			}
			*dst = b[i:end]
		}
		return end, err
	case 'n':
		return logfile.Literal(b, i, "null")
	}
	end, err := p.sc.Value(b, i)
	if err != nil {
		return 0, err // invalid JSON (or short input) first: that is the real problem
	}
	if p.fieldErr == nil {
		p.fieldErr = &trail.FieldError{Field: field, Problem: fmt.Sprintf("a JSON %s, want a string", kindOf(b[i]))}
	}
	return end, nil
}

// derive turns the tokens into the record's counter fields.
func (p *Parser) derive() error {
	r := &p.raw
	if r.eventTime == nil {
		return &trail.FieldError{Field: "eventTime", Problem: "missing"}
	}
	if r.eventName == nil || len(r.eventName) == 2 {
		return &trail.FieldError{Field: "eventName", Problem: "missing"}
	}
	hour, err := hourOf(text(r.eventTime))
	if err != nil {
		return err
	}
	rec := &p.trec
	id := &rec.UserIdentity
	id.Type, id.ARN, id.PrincipalID, id.AccountID = text(r.idType), text(r.arn), text(r.principalID), text(r.accountID)
	id.UserName, id.InvokedBy, id.OnBehalfOf = text(r.userName), text(r.invokedBy), nil
	if r.onBehalfOfUser != nil {
		p.obo.UserID = text(r.onBehalfOfUser)
		id.OnBehalfOf = &p.obo
	}
	rec.RecipientAccountID, rec.Cloud, rec.AWSRegion, rec.UserAgent = text(r.recipient), text(r.cloud), text(r.region), text(r.userAgent)
	rec.EventTime, rec.EventSource, rec.EventName = text(r.eventTime), text(r.eventSource), text(r.eventName)
	rec.EventType, rec.ErrorCode, rec.SourceIPAddress = text(r.eventType), text(r.errorCode), text(r.sourceIP)
	p.rec = Record{
		Key: Key{
			Hour:         hour,
			Account:      rec.Account(),
			Principal:    id.Principal(),
			SourceIP:     rec.SourceIPAddress,
			EventName:    rec.EventName,
			ResourceType: text(r.resourceType),
			ErrorCode:    rec.ErrorCode,
			EventType:    rec.EventType,
			Region:       rec.AWSRegion,
			EventSource:  rec.EventSource,
			Cloud:        rec.Cloud,
		},
	}
	if p.rec.Account == "" {
		return &trail.FieldError{Field: "recipientAccountId", Problem: "missing, and so is userIdentity.accountId"}
	}
	return nil
}

// hourOf returns the UTC hour of an eventTime. It accepts exactly what trail.ParseTime
// accepts (one definition of a valid time for every function), impossible dates refused:
// CloudTrail's own form, "2006-01-02T15:04:05Z", is checked in place, calendar included
// (2026-02-31 is no date); any other form goes through trail.ParseTime. A time whose UTC year
// has no four-digit hour (an offset past year 0 or 9999) is refused too: the counter's hour,
// and its expiry, could not be written.
func hourOf(s string) (string, error) {
	if len(s) == 20 && s[19] == 'Z' && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
		digits(s, 0, 4) && inRange(s, 5, 1, 12) && inRange(s, 11, 0, 23) && inRange(s, 14, 0, 59) && inRange(s, 17, 0, 59) &&
		inRange(s, 8, 1, daysIn(s)) {
		return s[:13], nil
	}
	t, err := trail.ParseTime(s)
	if err != nil {
		return "", err
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return "", &trail.FieldError{Field: "eventTime", Problem: fmt.Sprintf("%.64q is in UTC year %d, outside 0000-9999", s, y)}
	}
	return t.Format(HourLayout), nil
}

// daysIn is the number of days in the month of s ("YYYY-MM…", digits checked), leap years
// by the Gregorian rule, as the time package counts them.
func daysIn(s string) int {
	switch m := int(s[5]-'0')*10 + int(s[6]-'0'); m {
	case 4, 6, 9, 11:
		return 30
	case 2:
		y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

func digits(s string, i, n int) bool {
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func inRange(s string, i, lo, hi int) bool {
	if !digits(s, i, 2) {
		return false
	}
	v := int(s[i]-'0')*10 + int(s[i+1]-'0')
	return v >= lo && v <= hi
}

// text returns a string token's value. Without escapes it is a view of the buffer (no copy);
// escaped strings, rare in CloudTrail, are decoded. Invalid UTF-8 is left to Tally.Add,
// which checks a value once per distinct counter rather than once per record.
func text(tok []byte) string {
	if len(tok) < 2 {
		return ""
	}
	v := tok[1 : len(tok)-1]
	if len(v) == 0 {
		return ""
	}
	if bytes.IndexByte(v, '\\') >= 0 {
		var s string
		if err := stdjson.Unmarshal(tok, &s); err == nil { // validated already: cannot fail
			return s
		}
	}
	return unsafe.String(&v[0], len(v))
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	default:
		return "number"
	}
}

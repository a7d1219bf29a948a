package counters

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tally counts one file's records in memory, per distinct counter: its size grows with the
// number of distinct counters, never with the number of records, and so do the writes that
// apply it.
//
// A record's counter is found by one 64-bit hash of its whole key, checked against the
// counter's key (a different key with the same hash, which a 64-bit hash practically never
// gives, goes to a second map keyed by the key itself). Values are interned per dimension when
// a counter is created: one copy of each distinct principal, source, …
type Tally struct {
	seed  maphash.Seed
	buf   []byte
	index map[uint64]int // key hash → position in rows
	other map[string]int // encoded key → position in rows, for keys whose hash another key has
	dims  [8]dimension
	rows  []Row
	rules map[ruleKey]*RuleCount
}

// dimension interns the values of one key dimension.
type dimension struct {
	ids    map[string]uint32 // every spelling seen → value number
	values []string          // value number → value (valid UTF-8)
}

// id returns the value number of s, copying s the first time it is seen (s may be a view of
// a read buffer). Invalid UTF-8 is replaced by U+FFFD, as JSON decoders do, since DynamoDB
// stores UTF-8: both spellings then share one number, so one stored value is one counter.
func (d *dimension) id(s string) uint32 {
	id, ok := d.ids[s]
	if !ok {
		s = strings.Clone(s)
		v := validUTF8(s)
		if v == s {
			id = uint32(len(d.values))
			d.values = append(d.values, v)
		} else {
			id = d.id(v)
		}
		if d.ids == nil {
			d.ids = map[string]uint32{}
		}
		d.ids[s] = id
	}
	return id
}

// validUTF8 replaces each byte of s that is not part of valid UTF-8 by U+FFFD, as Go's JSON
// decoders do when they read such a string.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for _, r := range s {
		b = utf8.AppendRune(b, r) // ranging yields utf8.RuneError for each invalid byte
	}
	return string(b)
}

// RuleCount is a threshold rule's counter in one file: the number of matching records per
// rule, hour and subject (a source IP, a principal).
type RuleCount struct {
	Rule    string
	Hour    string
	Subject string
	Account string // the account of the first matching record, for the alert
	Count   int64
}

type ruleKey struct{ rule, hour, subject string }

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{seed: maphash.MakeSeed(), index: map[uint64]int{}, rules: map[ruleKey]*RuleCount{}}
}

// Add counts one record. k's strings may be views of a read buffer: they are copied the
// first time a value is seen, and only then.
func (t *Tally) Add(k *Key) {
	b, h := t.hash(k)
	i, ok := t.index[h]
	switch {
	case ok && t.rows[i].Key == *k:
		t.rows[i].Count++
		return
	case ok:
		if i, ok := t.other[string(b)]; ok {
			t.rows[i].Count++
			return
		}
	}
	var ids [8]uint32
	for d, v := range k.values() {
		ids[d] = t.dims[d].id(v)
	}
	var v [8]string
	for d, id := range ids {
		v[d] = t.dims[d].values[id]
	}
	row := Key{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}
	if row != *k {
		t.Add(&row) // invalid UTF-8: count under the repaired key, as stored
		return
	}
	if ok {
		if t.other == nil {
			t.other = map[string]int{}
		}
		t.other[string(b)] = len(t.rows)
	} else {
		t.index[h] = len(t.rows)
	}
	t.rows = append(t.rows, Row{Key: row, Count: 1})
}

// hash encodes k into t.buf, each value length-prefixed so no two keys encode alike, and
// hashes the encoding.
func (t *Tally) hash(k *Key) ([]byte, uint64) {
	b := t.buf[:0]
	for _, v := range k.values() {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	t.buf = b
	return b, maphash.Bytes(t.seed, b)
}

// AddRule counts one record for a threshold rule.
func (t *Tally) AddRule(rule, hour, subject, account string) {
	fix := func(s string) string { return strings.Clone(validUTF8(s)) }
	hour, subject = validUTF8(hour), validUTF8(subject)
	if c, ok := t.rules[ruleKey{rule, hour, subject}]; ok {
		c.Count++
		return
	}
	c := &RuleCount{Rule: rule, Hour: fix(hour), Subject: fix(subject), Account: fix(account), Count: 1}
	t.rules[ruleKey{c.Rule, c.Hour, c.Subject}] = c
}

// Len is the number of distinct counters.
func (t *Tally) Len() int { return len(t.rows) }

// Rows returns the counters, ordered by key.
func (t *Tally) Rows() []Row {
	out := slices.Clone(t.rows)
	slices.SortFunc(out, func(a, b Row) int { return compareKeys(&a.Key, &b.Key) })
	return out
}

// Rules returns the rule counters, ordered by rule, hour and subject.
func (t *Tally) Rules() []RuleCount {
	out := make([]RuleCount, 0, len(t.rules))
	for _, c := range t.rules {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b RuleCount) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Subject, b.Subject))
	})
	return out
}

func compareKeys(a, b *Key) int {
	return cmp.Or(cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Account, b.Account), cmp.Compare(a.Principal, b.Principal),
		cmp.Compare(a.SourceIP, b.SourceIP), cmp.Compare(a.EventName, b.EventName), cmp.Compare(a.ResourceType, b.ResourceType),
		cmp.Compare(a.ErrorCode, b.ErrorCode), cmp.Compare(a.EventType, b.EventType))
}

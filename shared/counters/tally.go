package counters

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tally counts one file's records in memory, per distinct counter: its size grows with the
// number of distinct counters, never with the number of records, and so do the writes that
// apply it.
//
// Each value is interned per dimension (one copy of each distinct principal, source, …), and
// a counter is found by its eight small value numbers: the lookups stay in small, hot maps
// instead of hashing and comparing a long composite key in a large one.
type Tally struct {
	dims  [8]dimension
	index map[[8]uint32]int // value numbers → position in rows
	rows  []Row
	rules map[ruleKey]*RuleCount
}

// dimension interns the values of one key dimension.
type dimension struct {
	ids    map[string]uint32 // every spelling seen → value number
	values []string          // value number → value (valid UTF-8)
	last   string            // the last spelling looked up, and its number: consecutive
	lastID uint32            // records mostly share their account, hour, event type
	used   bool
}

// id returns the value number of s, copying s the first time it is seen (s may be a view of
// a read buffer). Invalid UTF-8 is replaced by U+FFFD, as JSON decoders do, since DynamoDB
// stores UTF-8: both spellings then share one number, so one stored value is one counter.
func (d *dimension) id(s string) uint32 {
	if d.used && s == d.last {
		return d.lastID
	}
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
	d.last, d.lastID, d.used = d.values[id], id, d.values[id] == s
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
	return &Tally{index: map[[8]uint32]int{}, rules: map[ruleKey]*RuleCount{}}
}

// Add counts one record. k's strings may be views of a read buffer: they are copied the
// first time a value is seen, and only then.
func (t *Tally) Add(k *Key) {
	var ids [8]uint32
	for i, v := range k.values() {
		ids[i] = t.dims[i].id(v)
	}
	if i, ok := t.index[ids]; ok {
		t.rows[i].Count++
		return
	}
	t.index[ids] = len(t.rows)
	var v [8]string
	for i, id := range ids {
		v[i] = t.dims[i].values[id]
	}
	t.rows = append(t.rows, Row{Key: Key{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}, Count: 1})
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

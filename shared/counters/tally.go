package counters

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
)

// Tally counts one file's records in memory, per distinct counter: its size grows with the
// number of distinct counters, never with the number of records, and so do the writes that
// apply it.
type Tally struct {
	index map[string]int // encoded key → position in rows
	rows  []Row
	rules map[ruleKey]*RuleCount
	buf   []byte
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
	return &Tally{index: map[string]int{}, rules: map[ruleKey]*RuleCount{}}
}

// Add counts one record. k's strings may be views of a read buffer: they are copied the
// first time a counter is seen, and only then.
func (t *Tally) Add(k *Key) {
	b := t.encode(k)
	if i, ok := t.index[string(b)]; ok { // no allocation: the lookup does not keep the key
		t.rows[i].Count++
		return
	}
	if !k.validUTF8() {
		// Stored values are UTF-8 (DynamoDB requires it); count under the repaired key,
		// and let this spelling find that counter from now on.
		spelling := string(b)
		v := k.repaired()
		t.Add(&v)
		t.index[spelling] = t.index[string(t.encode(&v))]
		return
	}
	t.index[string(b)] = len(t.rows)
	t.rows = append(t.rows, Row{Key: Key{
		Hour: strings.Clone(k.Hour), Account: strings.Clone(k.Account), Principal: strings.Clone(k.Principal),
		SourceIP: strings.Clone(k.SourceIP), EventName: strings.Clone(k.EventName), ResourceType: strings.Clone(k.ResourceType),
		ErrorCode: strings.Clone(k.ErrorCode), EventType: strings.Clone(k.EventType),
	}, Count: 1})
}

// encode writes k into t.buf, each value length-prefixed so no two keys encode alike.
func (t *Tally) encode(k *Key) []byte {
	b := t.buf[:0]
	for _, s := range k.values() {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	t.buf = b
	return b
}

// AddRule counts one record for a threshold rule.
func (t *Tally) AddRule(rule, hour, subject, account string) {
	fix := func(s string) string { return strings.Clone(strings.ToValidUTF8(s, "\uFFFD")) }
	hour, subject = strings.ToValidUTF8(hour, "\uFFFD"), strings.ToValidUTF8(subject, "\uFFFD")
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

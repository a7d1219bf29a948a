package counters

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"iter"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Tally counts one file's records in memory, per distinct counter: its size grows with the
// number of distinct counters, never with the number of records, and so do the writes that
// apply it.
//
// Every counter's key is stored once, encoded (each value length-prefixed, so no two keys
// encode alike), in fixed-size chunks of bytes: a new key is written at the end of the current
// chunk, or starts a new one, and is never moved or copied again (one growing slice would copy
// every key on each doubling, and touch twice the memory). A record finds its counter through
// an open-addressing table whose slots are the counters themselves (count, hash, where the key
// is), and a hash match is confirmed by comparing the encodings: a different key with the same
// 32-bit hash takes the next slot. A record touches one slot and one key, and no counter holds a
// pointer: growing the table is a plain copy, and the collector has nothing to scan.
type Tally struct {
	sum    func([]byte) uint64 // hash of an encoded key
	buf    []byte              // the key being added, encoded
	chunks [][]byte            // the stored keys; a chunk is only ever appended to within its capacity
	cur    int                 // the chunk new keys are appended to
	slots  []slot              // a power of two long, at most half full
	n      int                 // counters (occupied slots)
	rules  map[ruleKey]*RuleCount
}

// slot is one counter, or empty (loc == 0: the first chunk starts with a byte no key uses).
// Sixteen bytes, four to a cache line: the table is what a record misses in the cache first.
type slot struct {
	count int64
	hash  uint32 // the low half of the key's hash: the slot's place, and a filter before the key
	loc   uint32 // where the key is: chunk<<chunkShift | offset (see Tally.key)
}

// A chunk holds 1<<chunkShift bytes of keys; a key longer than that has a chunk of its own.
// The first chunks are smaller (from minChunk, doubling) so that a small tally stays small. A
// key's place (slot.loc) has 32 bits, so a tally's keys are limited to maxChunks chunks, 4 GiB:
// far more than the aggregator's memory budget lets a tally hold (800,000 counters at 512 MB,
// about 120 MB of keys). Past it, Add panics rather than miscount.
const (
	chunkShift = 18
	chunkSize  = 1 << chunkShift
	minChunk   = 4 << 10
	maxChunks  = 1 << (32 - chunkShift)
)

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
	seed := maphash.MakeSeed()
	return &Tally{
		sum:   func(b []byte) uint64 { return maphash.Bytes(seed, b) },
		slots: make([]slot, 1024),
		rules: map[ruleKey]*RuleCount{},
	}
}

// Add counts one record. k's strings may be views of a read buffer: the key is copied the
// first time it is seen, and only then.
func (t *Tally) Add(k *Key) { t.addCount(k, 1) }

// addCount adds n to k's counter (merging staged tallies).
func (t *Tally) addCount(k *Key, n int64) {
	b := t.encode(k)
	h := uint32(t.sum(b))
	mask := len(t.slots) - 1
	i := int(h) & mask
	for ; t.slots[i].loc != 0; i = (i + 1) & mask {
		if s := &t.slots[i]; s.hash == h && bytes.Equal(t.key(s.loc), b) {
			s.count += n
			return
		}
	}
	// A new counter. DynamoDB stores UTF-8, so invalid UTF-8 is replaced by U+FFFD, as JSON
	// decoders do: a key is counted under its stored spelling, so one stored value is one
	// counter however it was spelled. An ASCII encoding (the usual key: its values, and its
	// length prefixes while each value is under 128 bytes) has only valid values, and checking
	// it is several times cheaper than checking each value.
	if !ascii(b) {
		values := k.values()
		for _, v := range values {
			if !utf8.ValidString(v) {
				var r Key
				for d, p := range r.fields() {
					*p = validUTF8(values[d])
				}
				t.addCount(&r, n)
				return
			}
		}
	}
	t.slots[i] = slot{count: n, hash: h, loc: t.store(b)}
	if t.n++; 2*t.n > len(t.slots) {
		t.grow()
	}
}

// ascii reports whether b has no byte of 0x80 or more, eight bytes at a time.
func ascii(b []byte) bool {
	var or uint64
	for ; len(b) >= 8; b = b[8:] {
		or |= binary.LittleEndian.Uint64(b)
	}
	for _, c := range b {
		or |= uint64(c)
	}
	return or&0x8080808080808080 == 0
}

// store writes an encoded key, prefixed with its length, into the chunks and returns its place.
func (t *Tally) store(b []byte) uint32 {
	need := uvarintLen(len(b)) + len(b)
	if len(t.chunks) == 0 {
		t.chunks = [][]byte{append(make([]byte, 0, minChunk), 0)} // loc 0 is "empty"
	}
	c := t.cur
	if need > cap(t.chunks[c])-len(t.chunks[c]) {
		if len(t.chunks) >= maxChunks {
			panic("counters: a tally's keys exceed 4 GiB")
		}
		c = len(t.chunks)
		if need > chunkSize {
			t.chunks = append(t.chunks, make([]byte, 0, need)) // its own chunk; cur stays
		} else {
			t.chunks = append(t.chunks, make([]byte, 0, max(need, min(chunkSize, 2*cap(t.chunks[t.cur])))))
			t.cur = c
		}
	}
	loc := uint32(c<<chunkShift | len(t.chunks[c]))
	t.chunks[c] = append(binary.AppendUvarint(t.chunks[c], uint64(len(b))), b...)
	return loc
}

// key returns the encoded key stored at loc, a view of its chunk.
func (t *Tally) key(loc uint32) []byte {
	c := t.chunks[loc>>chunkShift][loc&(chunkSize-1):]
	if n := int(c[0]); n < 0x80 {
		return c[1 : 1+n]
	}
	n, w := binary.Uvarint(c)
	return c[w : w+int(n)]
}

func uvarintLen(n int) int {
	w := 1
	for ; n >= 0x80; n >>= 7 {
		w++
	}
	return w
}

// grow doubles the table, placing the counters by the hashes they were found with.
func (t *Tally) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	mask := len(t.slots) - 1
	for _, s := range old {
		if s.loc == 0 {
			continue
		}
		i := int(s.hash) & mask
		for t.slots[i].loc != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// encode writes k into t.buf, each value prefixed with its length.
func (t *Tally) encode(k *Key) []byte {
	b := t.buf[:0]
	for _, v := range k.values() {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	t.buf = b
	return b
}

// decodeKey reads an encoded key back; its strings are substrings of s.
func decodeKey(s string) Key {
	var k Key
	for _, p := range k.fields() {
		n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
		*p, s = s[w:w+int(n)], s[w+int(n):]
	}
	return k
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
func (t *Tally) Len() int { return t.n }

// Rows returns the counters, ordered by key.
func (t *Tally) Rows() []Row {
	out := make([]Row, 0, t.n)
	for k, count := range t.counters() {
		out = append(out, Row{Key: k, Count: count})
	}
	slices.SortFunc(out, func(a, b Row) int { return compareKeys(&a.Key, &b.Key) })
	return out
}

// counters yields every counter's key and count, in no particular order. The keys' strings are
// views of the tally's chunks, whose bytes are never changed once written (a later Add appends
// within a chunk's capacity, or to a new chunk), so they stay valid.
func (t *Tally) counters() iter.Seq2[Key, int64] {
	return func(yield func(Key, int64) bool) {
		for _, s := range t.slots {
			if s.loc == 0 {
				continue
			}
			b := t.key(s.loc) // never empty: a key has a length byte per value
			if !yield(decodeKey(unsafe.String(&b[0], len(b))), s.count) {
				return
			}
		}
	}
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
		cmp.Compare(a.ErrorCode, b.ErrorCode), cmp.Compare(a.EventType, b.EventType), cmp.Compare(a.Region, b.Region),
		cmp.Compare(a.EventSource, b.EventSource), cmp.Compare(a.Cloud, b.Cloud))
}

package rules

import (
	"bytes"
	"encoding/binary"
	"sync"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/logfile"
)

// A partial rule's condition (compiledRule.partial) reads nothing but some PrefilterFields and
// some payload paths, and CEL is deterministic: two records that agree on those give the same
// verdict. A log file repeats them endlessly (RunInstances of the same few instance types,
// uploads without an SSE-C header, a principal's denied calls), so Detector.Known keeps each
// partial rule's recent verdicts keyed by exactly what its condition reads, and evaluates CEL
// only for inputs it has not seen. The key is built from the raw bytes (no decoding): the
// values of the fields the condition reads, and for each payload it reads the parts its paths
// select (appendSig mirrors pick, which decodes the same parts). Equal keys mean equal decoded
// inputs; the converse need not hold (a value spelled with escapes is another key: a miss,
// never a wrong verdict).

// verdict is a condition's outcome on one input.
type verdict uint8

const (
	verdictFalse verdict = iota + 1
	verdictTrue
	verdictError // the condition failed: Known says "not known", Detect reports it
)

// maxVerdicts bounds one rule's cache: when full it is emptied and refilled. A file's inputs
// repeat or they do not; keeping the recent ones is all that pays.
const maxVerdicts = 1 << 13

// verdictCache is one rule's recent verdicts by input key; safe for concurrent use (an Engine
// is shared).
type verdictCache struct {
	mu sync.Mutex
	m  map[string]verdict
}

func (v *verdictCache) get(key []byte) verdict {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[string(key)]
}

func (v *verdictCache) put(key []byte, out verdict) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerdicts {
		v.m = make(map[string]verdict, 64)
	}
	v.m[string(key)] = out
}

// evalCached is c.eval on act's record through c's verdict cache; key is scratch for the
// input key (returned for reuse). Only for a partial rule on a record whose payloads are
// located (Known).
func (c *compiledRule) evalCached(act *activation, key []byte) (bool, []byte, error) {
	key, ok := c.inputKey(key[:0], act.ev)
	if ok {
		switch c.verdicts.get(key) {
		case verdictTrue:
			return true, key, nil
		case verdictFalse:
			return false, key, nil
		}
		// An error is not kept: evaluating again gives the error itself.
	}
	matched, err := c.eval(act)
	if ok {
		out := verdictFalse
		switch {
		case err != nil:
			out = verdictError
		case matched:
			out = verdictTrue
		}
		if out != verdictError {
			c.verdicts.put(key, out)
		}
	}
	return matched, key, err
}

// inputKey appends to dst what c's condition reads of ev's record: the values of its
// PrefilterFields and the selected parts of its payloads, each delimited, so different inputs
// give different keys. ok is false when a payload cannot be walked (it is then evaluated
// uncached, and fails as it would).
func (c *compiledRule) inputKey(dst []byte, ev *eventValue) ([]byte, bool) {
	for f := range numFields {
		if c.whenReads.fields&(1<<f) != 0 {
			dst = appendString(dst, fieldValue(ev.rec, f))
		}
	}
	var sc logfile.Scanner
	for i, t := range c.whenReads.payloads {
		if t == nil {
			continue
		}
		raw := ev.raw(i)
		if t.whole || !present(raw) {
			dst = appendString(append(dst, 'W'), string(raw))
			continue
		}
		var err error
		if dst, _, err = appendSig(dst, &sc, raw, 0, t); err != nil {
			return dst, false
		}
	}
	return dst, true
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// appendSig appends the parts of the value at b[i] that pick would decode along t, as raw
// bytes with markers and lengths: an object's kept members (by the names pick keeps them
// under) in order, each element of a list t reads elements of, and anything else whole. It
// returns the index past the value.
func appendSig(dst []byte, sc *logfile.Scanner, b []byte, i int, t *pathTree) ([]byte, int, error) {
	if i = logfile.SkipSpace(b, i); i >= len(b) {
		return dst, 0, errShortPayload
	}
	if !t.whole && t.elems != nil && b[i] == '[' {
		dst = append(dst, '[')
		if i = logfile.SkipSpace(b, i+1); i < len(b) && b[i] == ']' {
			return append(dst, ']'), i + 1, nil
		}
		for {
			var end int
			var err error
			if dst, end, err = appendSig(dst, sc, b, i, t.elems); err != nil {
				return dst, 0, err
			}
			switch i = logfile.SkipSpace(b, end); {
			case i >= len(b):
				return dst, 0, errShortPayload
			case b[i] == ',':
				i++
			case b[i] == ']':
				return append(dst, ']'), i + 1, nil
			default:
				return dst, 0, logfile.Syntax(i, "want ',' or ']' in a list")
			}
		}
	}
	if t.whole || t.elems != nil || b[i] != '{' {
		end, err := skip(sc, b, i)
		if err != nil {
			return dst, 0, err
		}
		return appendString(append(dst, 'V'), string(b[i:end])), end, nil
	}
	dst = append(dst, '{')
	if i = logfile.SkipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return append(dst, '}'), i + 1, nil
	}
	for {
		if i >= len(b) {
			return dst, 0, errShortPayload
		}
		if b[i] != '"' {
			return dst, 0, logfile.Syntax(i, "want an object key")
		}
		kend, _, err := logfile.Key(b, i)
		if err != nil {
			return dst, 0, keyErr(err)
		}
		child, err := member(t, b[i:kend])
		if err != nil {
			return dst, 0, err
		}
		if i = logfile.SkipSpace(b, kend); i >= len(b) || b[i] != ':' {
			return dst, 0, logfile.Syntax(i, "want ':' after an object key")
		}
		var end int
		if child != nil {
			dst = appendString(append(dst, 'K'), child.name)
			if dst, end, err = appendSig(dst, sc, b, i+1, child); err != nil {
				return dst, 0, err
			}
		} else if end, err = skip(sc, b, i+1); err != nil {
			return dst, 0, err
		}
		switch i = logfile.SkipSpace(b, end); {
		case i >= len(b):
			return dst, 0, errShortPayload
		case b[i] == ',':
			i = logfile.SkipSpace(b, i+1)
		case b[i] == '}':
			return append(dst, '}'), i + 1, nil
		default:
			return dst, 0, logfile.Syntax(i, "want ',' or '}' in an object")
		}
	}
}

// member is the child of t a quoted object key names, nil when t does not read it: the key's
// bytes when it has no escape, else its decoded name (as a decoder reads it).
func member(t *pathTree, quoted []byte) (*pathTree, error) {
	name := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(name, '\\') < 0 {
		return t.keys[string(name)], nil
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return nil, err
	}
	return t.keys[s], nil
}

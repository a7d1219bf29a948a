package ipallow

import (
	"net/netip"

	"github.com/gaissmai/bart"
)

// List is a parsed allowlist: the ALLOWED_CIDRS prefixes in a prefix trie and
// the ALLOWED_SOURCES strings. It is read-only after Parse and safe for
// concurrent use; use it through the pointer Parse returns.
type List struct {
	prefixes bart.Lite
	sources  map[string]struct{}
}

// Parse builds a List from the values of ALLOWED_CIDRS and ALLOWED_SOURCES.
// It fails on the first invalid entry (*EntryError) and on an ALLOWED_CIDRS
// without entries (ErrEmpty), so that a misconfigured checker stops at start
// instead of trusting or distrusting everything.
func Parse(cidrs, sources string) (*List, error) {
	l := new(List)
	for _, entry := range splitCIDRs(cidrs) {
		p, err := parsePrefix(entry)
		if err != nil {
			return nil, &EntryError{Var: cidrsVar, Entry: entry, Err: err}
		}
		l.prefixes.Insert(p)
	}
	if l.prefixes.Size() == 0 {
		return nil, ErrEmpty
	}
	set, err := parseSources(sources)
	if err != nil {
		return nil, err
	}
	l.sources = set
	return l, nil
}

// Len returns the number of distinct prefixes, for the start-up log.
func (l *List) Len() int { return l.prefixes.Size() }

// Check tells whether source, a CloudTrail sourceIPAddress, is trusted and why.
func (l *List) Check(source string) Verdict {
	if a, err := netip.ParseAddr(source); err == nil && a.Zone() == "" {
		if l.prefixes.Contains(a.Unmap()) {
			return AllowedIP
		}
		return NotListed
	}
	if _, ok := l.sources[source]; ok {
		return AllowedSource
	}
	return NotIP
}

// Allowed reports whether source is trusted; Check also says why.
func (l *List) Allowed(source string) bool { return l.Check(source).Allowed() }

package alert

import (
	"slices"
	"time"
)

// This file exports the pieces of the ledger protocol a Ledger kept outside this package needs
// (the SQLite ledger of local runs, shared/localstate), so every ledger builds the same keys,
// the same flood digests and the same address summaries from one definition.

// NewClaimToken is a fresh claim token (Claim.Token, Digest.Token).
func NewClaimToken() string { return newToken() }

// EffectiveFloodCap is the flood cap the options mean: 0 when flood control is off (no
// Window), DefaultFloodCap when FloodCap is 0.
func (o LedgerOptions) EffectiveFloodCap() int { return o.floodCap() }

// DigestBucketOf is the due bucket (DigestBucket granularity) a flood whose window ends at t is
// filed under.
func DigestBucketOf(t time.Time) time.Time { return digestBucket(t) }

// FloodDigestAlert is the alert a flush sends for a flood that stopped (see DigestLedger):
// meta is the flood's last folded alert (FloodIdentity), folded the count, since the first
// folded alert's time, from the Sources summary.
func FloodDigestAlert(meta Alert, folded int, since time.Time, from string) Alert {
	return digestAlert(meta, folded, since, from)
}

// FloodIdentity is what a flood remembers of its last folded alert to build its digest.
func FloodIdentity(a *Alert) Alert { return floodMeta(a) }

// Sources are the source addresses a flood remembers for its digest, bounded like the other
// ledgers' (at most maxFoldedAddrs addresses, two networks), in a form a store can keep as
// two lists.
type Sources struct {
	Addrs    []string `json:"addrs,omitempty"`
	Prefixes []string `json:"prefixes,omitempty"`
}

func (s Sources) set() addrSet {
	var set addrSet
	for _, a := range s.Addrs {
		if set.addrs == nil {
			set.addrs, set.prefixes = map[string]bool{}, map[string]bool{}
		}
		set.addrs[a] = true
	}
	for _, p := range s.Prefixes {
		if set.prefixes == nil {
			set.addrs, set.prefixes = map[string]bool{}, map[string]bool{}
		}
		set.prefixes[p] = true
	}
	return set
}

func sourcesOf(set addrSet) Sources {
	a, p := keys(set.addrs), keys(set.prefixes)
	slices.Sort(a)
	slices.Sort(p)
	return Sources{Addrs: a, Prefixes: p}
}

// Add remembers one folded alert's source.
func (s *Sources) Add(src string) {
	set := s.set()
	set.add(src)
	*s = sourcesOf(set)
}

// Merge adds o's sources (a digest given back to the flood).
func (s *Sources) Merge(o Sources) {
	set := s.set()
	set.merge(o.set())
	*s = sourcesOf(set)
}

// Summary is the digest's "from": one address, one network, or how many addresses.
func (s Sources) Summary() string { return summarizeAddrs(s.Addrs, s.Prefixes) }

package ipallow_test

import "net/netip"

// linearContains is the reference the trie is checked and measured against:
// a plain IP source (no zone), unmapped, tested against every prefix in turn.
// The prefixes must be canonical: masked, IPv4 where written IPv4-mapped.
func linearContains(prefixes []netip.Prefix, source string) bool {
	a, err := netip.ParseAddr(source)
	if err != nil || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

package ipallow

import (
	"errors"
	"net/netip"
	"strings"
	"unicode"
)

var errZone = errors.New("zone-scoped address: a zone names a local interface, not a network")

// splitCIDRs splits ALLOWED_CIDRS at commas and whitespace, dropping empty items.
func splitCIDRs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// parsePrefix reads one ALLOWED_CIDRS entry, a CIDR or a bare address, into the
// canonical prefix the trie holds: masked, and IPv4 when written IPv4-mapped.
func parsePrefix(entry string) (netip.Prefix, error) {
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, err
		}
		p = p.Masked()
		// Masking keeps the ::ffff: marker only when at least 96 bits remain.
		if a := p.Addr(); a.Is4In6() {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errZone
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

package alert

import (
	"fmt"
	"net/netip"
	"sort"
)

// maxFoldedAddrs bounds the distinct source addresses a flood remembers for its digest, so a
// flood from the whole Internet keeps a small ledger item; past it the digest says "100+".
const maxFoldedAddrs = 100

// addrPrefix is the network a folded alert's source is summarized by: the /64 of an IPv6
// address, the /24 of an IPv4 one (IPv4-mapped IPv6 counts as IPv4), else the text itself
// (a service name such as "signin.amazonaws.com"), cleaned.
func addrPrefix(src string) string {
	ip, err := netip.ParseAddr(src)
	if err != nil {
		return ASCII(orDash(src), 45)
	}
	ip = ip.Unmap().WithZone("")
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits)
	return p.String()
}

// foldedAddr is a folded alert's source as the digest remembers it.
func foldedAddr(src string) string {
	if ip, err := netip.ParseAddr(src); err == nil {
		return ip.Unmap().WithZone("").String()
	}
	return ASCII(orDash(src), 45)
}

// summarizeAddrs is the smallest useful summary of where folded alerts came from: one
// address, one network (/64, /24) they all share, else how many addresses ("100+" once the
// remembered set is full). Empty values and the ledger's placeholder "-" are ignored.
func summarizeAddrs(addrs, prefixes []string) string {
	addrs, prefixes = present(addrs), present(prefixes)
	switch {
	case len(addrs) == 1 && len(prefixes) <= 1:
		return addrs[0]
	case len(prefixes) == 1:
		return prefixes[0]
	case len(addrs) >= maxFoldedAddrs:
		return fmt.Sprintf("%d+ addresses", maxFoldedAddrs)
	case len(addrs) == 0:
		return ""
	}
	return fmt.Sprintf("%d addresses", len(addrs))
}

func present(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" && s != "-" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// addrSet is the in-memory form of a flood's remembered sources.
type addrSet struct {
	addrs, prefixes map[string]bool
}

func (s *addrSet) add(src string) {
	if s.addrs == nil {
		s.addrs, s.prefixes = map[string]bool{}, map[string]bool{}
	}
	if len(s.addrs) < maxFoldedAddrs {
		s.addrs[foldedAddr(src)] = true
	}
	if len(s.prefixes) < 2 { // one network or several is all the summary needs
		s.prefixes[addrPrefix(src)] = true
	}
}

func (s *addrSet) merge(o addrSet) {
	for a := range o.addrs {
		if len(s.addrs) < maxFoldedAddrs || s.addrs[a] {
			if s.addrs == nil {
				s.addrs, s.prefixes = map[string]bool{}, map[string]bool{}
			}
			s.addrs[a] = true
		}
	}
	for p := range o.prefixes {
		if s.prefixes == nil {
			s.addrs, s.prefixes = map[string]bool{}, map[string]bool{}
		}
		s.prefixes[p] = true
	}
}

func (s addrSet) summary() string {
	return summarizeAddrs(keys(s.addrs), keys(s.prefixes))
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

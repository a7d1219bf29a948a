package ipallow_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/ipallow"
)

// benchPrefixes returns n deterministic pseudo-random prefixes, half IPv4
// (/16 to /32) and half IPv6 global unicast (/32 to /64), the shapes an
// allowlist of offices, VPNs and NAT gateways has.
func benchPrefixes(n int) []netip.Prefix {
	r := rand.New(rand.NewPCG(2, 42))
	out := make([]netip.Prefix, n)
	for i := range out {
		if i%2 == 0 {
			a := netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
			out[i] = netip.PrefixFrom(a, 16+r.IntN(17)).Masked()
			continue
		}
		var b [16]byte
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		b[0] = 0x20 | b[0]&0x1f // 2000::/3
		out[i] = netip.PrefixFrom(netip.AddrFrom16(b), 32+r.IntN(33)).Masked()
	}
	return out
}

// benchSources returns 1,024 sources: even ones inside a random prefix (hits),
// odd ones random addresses of either family (nearly all misses).
func benchSources(prefixes []netip.Prefix) []string {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]string, 1024)
	for i := range out {
		p := prefixes[r.IntN(len(prefixes))]
		b := p.Addr().AsSlice()
		for j := range b {
			host := byte(0xff)
			if n := p.Bits() - 8*j; n >= 8 {
				host = 0
			} else if n > 0 {
				host = 0xff >> n
			}
			if i%2 == 1 {
				host = 0xff // anywhere in the family: a miss
			}
			b[j] = b[j]&^host | byte(r.Uint32())&host
		}
		a, _ := netip.AddrFromSlice(b)
		out[i] = a.String()
	}
	return out
}

func joinPrefixes(prefixes []netip.Prefix) string {
	s := make([]string, len(prefixes))
	for i, p := range prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func BenchmarkAllowed(b *testing.B) {
	for _, n := range []int{10, 1_000, 100_000} {
		b.Run(fmt.Sprintf("prefixes=%d", n), func(b *testing.B) {
			prefixes := benchPrefixes(n)
			l, err := ipallow.Parse(joinPrefixes(prefixes), "AWS Internal")
			if err != nil {
				b.Fatal(err)
			}
			sources := benchSources(prefixes)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				l.Allowed(sources[i%len(sources)])
			}
		})
	}
}

// BenchmarkLinearScan100k is the contrast: the same lookups as
// BenchmarkAllowed/prefixes=100000 by a linear netip.Prefix.Contains scan.
func BenchmarkLinearScan100k(b *testing.B) {
	prefixes := benchPrefixes(100_000)
	sources := benchSources(prefixes)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		linearContains(prefixes, sources[i%len(sources)])
	}
}

func BenchmarkParse(b *testing.B) {
	cidrs := joinPrefixes(benchPrefixes(1_000))
	b.SetBytes(int64(len(cidrs)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ipallow.Parse(cidrs, "AWS Internal, signin.amazonaws.com"); err != nil {
			b.Fatal(err)
		}
	}
}

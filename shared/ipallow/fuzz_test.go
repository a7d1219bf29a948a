package ipallow_test

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/trailguard/trailguard/shared/ipallow"
)

// fuzzSeparators are the ways ALLOWED_CIDRS entries may be separated.
var fuzzSeparators = []string{",", " ", "\t", "\n", ", ", ",,", " ,\n", "\r\n"}

// genAllowlist turns fuzz bytes into ALLOWED_CIDRS text and the canonical
// prefixes it means. Each entry is a header byte (family, written form,
// separator), the address bytes and a length byte; an incomplete tail is
// ignored.
func genAllowlist(gen []byte) (text string, prefixes []netip.Prefix) {
	var b strings.Builder
	for len(gen) > 0 {
		h := gen[0]
		size := 4
		if h&1 == 1 {
			size = 16
		}
		if len(gen) < 2+size {
			break
		}
		a, _ := netip.AddrFromSlice(gen[1 : 1+size])
		bits := int(gen[1+size]) % (a.BitLen() + 1)
		gen = gen[2+size:]

		p := netip.PrefixFrom(a, bits)
		var entry string
		switch form := h >> 1 & 3; {
		case form == 0: // canonical
			p = p.Masked()
			entry = p.String()
		case form == 1: // host bits set
			entry = p.String()
		case form == 2 && a.Is4(): // IPv4-mapped IPv6
			entry = "::ffff:" + a.String() + "/" + strconv.Itoa(bits+96)
		case form == 2: // upper-case hex
			entry = strings.ToUpper(p.String())
		default: // bare address
			p = netip.PrefixFrom(a, a.BitLen())
			entry = a.String()
		}
		// The documented reading of an IPv6 entry that is IPv4-mapped after masking.
		if p = p.Masked(); p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if b.Len() > 0 {
			b.WriteString(fuzzSeparators[int(h>>3)%len(fuzzSeparators)])
		}
		b.WriteString(entry)
		prefixes = append(prefixes, p)
	}
	return b.String(), prefixes
}

// probeSources turns fuzz bytes into sources worth asking about: an address
// inside (or, with the low bit of the first byte, just outside) one of the
// prefixes, written plain, IPv4-mapped, zone-scoped and padded.
func probeSources(prefixes []netip.Prefix, probe []byte) []string {
	if len(prefixes) == 0 || len(probe) == 0 {
		return nil
	}
	p := prefixes[int(probe[0]>>1)%len(prefixes)]
	raw := p.Addr().AsSlice()
	for i := range raw {
		var r byte
		if 1+i < len(probe) {
			r = probe[1+i]
		}
		hostBits := byte(0xff)
		if n := p.Bits() - 8*i; n >= 8 {
			hostBits = 0
		} else if n > 0 {
			hostBits = 0xff >> n
		}
		raw[i] |= r & hostBits
	}
	a, _ := netip.AddrFromSlice(raw)
	if probe[0]&1 == 1 {
		a = a.Next() // the neighbour: outside when a is the prefix's last address
	}
	if !a.IsValid() {
		return nil
	}
	s := a.String()
	out := []string{s, s + "%eth0", " " + s, s + "\n"}
	if a.Is4() {
		out = append(out, "::ffff:"+s)
	}
	return out
}

// FuzzAllowed checks that Check never panics and agrees with a linear netip
// scan over the same prefixes, for generated allowlists and arbitrary or
// derived sources.
func FuzzAllowed(f *testing.F) {
	f.Add([]byte{0, 203, 0, 113, 0, 24, 1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32}, "AWS Internal", []byte{0, 9}, "203.0.113.9")
	f.Add([]byte{4, 10, 1, 2, 3, 8, 6, 198, 51, 100, 17, 0}, "signin.amazonaws.com, AWS Internal", []byte{1, 255, 255, 255}, "::ffff:10.9.9.9")
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 104}, "", []byte{0}, "fe80::1%eth0")
	f.Add([]byte{}, "", []byte{}, "")
	f.Fuzz(func(t *testing.T, gen []byte, sources string, probe []byte, source string) {
		cidrs, prefixes := genAllowlist(gen)
		l, err := ipallow.Parse(cidrs, sources)
		if err != nil {
			var ee *ipallow.EntryError
			switch {
			case len(prefixes) == 0 && errors.Is(err, ipallow.ErrEmpty):
			case errors.As(err, &ee) && ee.Var == "ALLOWED_SOURCES":
			default:
				t.Fatalf("Parse(%q, %q): %v", cidrs, sources, err)
			}
			return
		}
		distinct := make(map[netip.Prefix]bool)
		for _, p := range prefixes {
			distinct[p] = true
		}
		if l.Len() != len(distinct) {
			t.Errorf("Parse(%q): Len() = %d, want %d", cidrs, l.Len(), len(distinct))
		}
		listed := make(map[string]bool)
		for item := range strings.SplitSeq(sources, ",") {
			if item = strings.TrimSpace(item); item != "" {
				listed[item] = true
			}
		}
		for _, s := range append(probeSources(prefixes, probe), source) {
			want := linearContains(prefixes, s) || listed[s]
			if got := l.Allowed(s); got != want {
				t.Errorf("Parse(%q, %q).Allowed(%q) = %v, linear scan says %v", cidrs, sources, s, got, want)
			}
		}
	})
}

// isCIDRSeparator is the reference reading of the ALLOWED_CIDRS separators.
func isCIDRSeparator(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// FuzzParse checks that Parse never panics on arbitrary text, that its errors
// name an entry of the input, and that the first address of every entry it
// accepts is allowed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"203.0.113.0/24, 2001:db8::/32", "10.1.2.3/8\n::ffff:10.0.0.0/104", "010.1.1.1",
		"fe80::1%eth0", ",, ,", "::ffff:0:0/80", "1.2.3.4/33", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cidrs string) {
		entries := strings.FieldsFunc(cidrs, isCIDRSeparator)
		l, err := ipallow.Parse(cidrs, "")
		if err != nil {
			var ee *ipallow.EntryError
			switch {
			case errors.Is(err, ipallow.ErrEmpty):
				if len(entries) > 0 {
					t.Errorf("Parse(%q): ErrEmpty for a value with entries", cidrs)
				}
			case errors.As(err, &ee):
				if ee.Var != "ALLOWED_CIDRS" || !slices.Contains(entries, ee.Entry) {
					t.Errorf("Parse(%q): %v does not name an entry of the input", cidrs, err)
				}
			default:
				t.Errorf("Parse(%q): unexpected error %v (%T)", cidrs, err, err)
			}
			return
		}
		for _, entry := range entries {
			a, err := netip.ParseAddr(entry)
			if p, perr := netip.ParsePrefix(entry); perr == nil {
				a, err = p.Masked().Addr(), nil
			}
			if err != nil || a.Zone() != "" {
				t.Fatalf("Parse(%q) accepted entry %q that is no plain address or prefix", cidrs, entry)
			}
			if !l.Allowed(a.String()) {
				t.Errorf("Parse(%q): Allowed(%q) = false for a listed entry", cidrs, a)
			}
		}
	})
}

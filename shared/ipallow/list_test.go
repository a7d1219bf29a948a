package ipallow_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/ipallow"
)

func mustParse(t *testing.T, cidrs, sources string) *ipallow.List {
	t.Helper()
	l, err := ipallow.Parse(cidrs, sources)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", cidrs, sources, err)
	}
	return l
}

func TestCheck(t *testing.T) {
	l := mustParse(t,
		"203.0.113.0/24, 198.51.100.17\n2001:db8:abcd::/48\t10.1.2.3/8,::ffff:192.0.2.0/120,fe80::/10,,",
		" AWS Internal , signin.amazonaws.com,")
	tests := []struct {
		name   string
		source string
		want   ipallow.Verdict
	}{
		{"IPv4 in /24", "203.0.113.9", ipallow.AllowedIP},
		{"IPv4 outside /24", "203.0.114.1", ipallow.NotListed},
		{"bare address entry", "198.51.100.17", ipallow.AllowedIP},
		{"next to bare address", "198.51.100.18", ipallow.NotListed},
		{"non-canonical entry is masked", "10.200.0.1", ipallow.AllowedIP},
		{"outside masked entry", "11.0.0.1", ipallow.NotListed},
		{"mapped entry matches IPv4", "192.0.2.77", ipallow.AllowedIP},
		{"mapped source matches as IPv4", "::ffff:203.0.113.9", ipallow.AllowedIP},
		{"mapped source in hex", "::ffff:cb00:7109", ipallow.AllowedIP},
		{"mapped source not listed", "::ffff:8.8.8.8", ipallow.NotListed},
		{"IPv6 in /48", "2001:db8:abcd:12::1", ipallow.AllowedIP},
		{"IPv6 upper case", "2001:DB8:ABCD::1", ipallow.AllowedIP},
		{"IPv6 outside /48", "2001:db8:abce::1", ipallow.NotListed},
		{"IPv6 loopback", "::1", ipallow.NotListed},
		{"link-local listed", "fe80::1", ipallow.AllowedIP},
		{"zone-scoped", "fe80::1%eth0", ipallow.NotIP},
		{"zone-scoped global", "2001:db8:abcd::1%eth0", ipallow.NotIP},
		{"leading zero", "06.237.252.245", ipallow.NotIP},
		{"leading zero in listed network", "203.0.113.09", ipallow.NotIP},
		{"AWS Internal listed", "AWS Internal", ipallow.AllowedSource},
		{"listed source is case-sensitive", "aws internal", ipallow.NotIP},
		{"listed source is exact", "AWS  Internal", ipallow.NotIP},
		{"listed hostname", "signin.amazonaws.com", ipallow.AllowedSource},
		{"unlisted hostname", "ec2.amazonaws.com", ipallow.NotIP},
		{"service hostname", "cloudformation.amazonaws.com", ipallow.NotIP},
		{"redacted", "redacted", ipallow.NotIP},
		{"placeholder", "<Attacker source IP>", ipallow.NotIP},
		{"empty", "", ipallow.NotIP},
		{"leading space", " 203.0.113.9", ipallow.NotIP},
		{"trailing space", "203.0.113.9 ", ipallow.NotIP},
		{"trailing newline", "203.0.113.9\n", ipallow.NotIP},
		{"CIDR as source", "203.0.113.0/24", ipallow.NotIP},
		{"port attached", "203.0.113.9:443", ipallow.NotIP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := l.Check(tt.source); got != tt.want {
				t.Errorf("Check(%q) = %v, want %v", tt.source, got, tt.want)
			}
			if got := l.Allowed(tt.source); got != tt.want.Allowed() {
				t.Errorf("Allowed(%q) = %v, want %v", tt.source, got, tt.want.Allowed())
			}
		})
	}
}

// TestFamilies pins the documented edges: IPv6 prefixes never match IPv4
// sources, mapped or not, and a mapped /96 is all of IPv4.
func TestFamilies(t *testing.T) {
	tests := []struct {
		cidrs   string
		allowed []string
		denied  []string
	}{
		{"::/0", []string{"2001:db8::1", "fe80::1"}, []string{"203.0.113.9", "::ffff:203.0.113.9"}},
		{"0.0.0.0/0", []string{"203.0.113.9", "::ffff:203.0.113.9", "0.0.0.0"}, []string{"2001:db8::1"}},
		{"::ffff:0:0/96", []string{"203.0.113.9", "::ffff:10.0.0.1"}, []string{"2001:db8::1", "::1"}},
		{"::ffff:0:0/80", []string{"::fffe:0:1", "::1"}, []string{"203.0.113.9", "::ffff:10.0.0.1"}},
		{"::ffff:203.0.113.9", []string{"203.0.113.9", "::ffff:203.0.113.9"}, []string{"203.0.113.10"}},
	}
	for _, tt := range tests {
		t.Run(tt.cidrs, func(t *testing.T) {
			l := mustParse(t, tt.cidrs, "")
			for _, s := range tt.allowed {
				if !l.Allowed(s) {
					t.Errorf("Allowed(%q) = false, want true", s)
				}
			}
			for _, s := range tt.denied {
				if l.Allowed(s) {
					t.Errorf("Allowed(%q) = true, want false", s)
				}
			}
		})
	}
}

func TestParseSeparators(t *testing.T) {
	tests := []struct{ name, cidrs string }{
		{"comma", "203.0.113.0/24,2001:db8::/32"},
		{"comma and space", "203.0.113.0/24, 2001:db8::/32"},
		{"space", "203.0.113.0/24 2001:db8::/32"},
		{"tab", "203.0.113.0/24\t2001:db8::/32"},
		{"newline", "203.0.113.0/24\n2001:db8::/32\n"},
		{"CRLF", "203.0.113.0/24\r\n2001:db8::/32\r\n"},
		{"mixed", " ,203.0.113.0/24 ,\n\t 2001:db8::/32, "},
		{"doubled and trailing commas", ",,203.0.113.0/24,,2001:db8::/32,,"},
		{"no-break space", "203.0.113.0/24\u00a02001:db8::/32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParse(t, tt.cidrs, "")
			if got := l.Len(); got != 2 {
				t.Errorf("Len() = %d, want 2", got)
			}
			for _, s := range []string{"203.0.113.200", "2001:db8:ffff::1"} {
				if !l.Allowed(s) {
					t.Errorf("Allowed(%q) = false, want true", s)
				}
			}
			if l.Allowed("198.51.100.1") {
				t.Error(`Allowed("198.51.100.1") = true, want false`)
			}
		})
	}
}

func TestLen(t *testing.T) {
	tests := []struct {
		cidrs string
		want  int
	}{
		{"10.0.0.0/8", 1},
		{"10.0.0.0/8,10.1.2.3/8", 1},
		{"10.0.0.0/8 ::ffff:10.0.0.0/104", 1},
		{"1.2.3.4,1.2.3.4/32,::ffff:1.2.3.4", 1},
		{"2001:db8::1,2001:db8::1/128,2001:DB8::1", 1},
		{"10.0.0.0/8,10.0.0.0/16", 2},
		{"203.0.113.0/24,2001:db8::/32,198.51.100.17", 3},
	}
	for _, tt := range tests {
		t.Run(tt.cidrs, func(t *testing.T) {
			if got := mustParse(t, tt.cidrs, "").Len(); got != tt.want {
				t.Errorf("Len() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		cidrs   string
		sources string
		wantVar string // "" when the error is ErrEmpty
		entry   string
		reason  string // part of the reason
	}{
		{"empty", "", "", "", "", ""},
		{"blank", " \t\n", "", "", "", ""},
		{"only separators", ",, ,\n", "AWS Internal", "", "", ""},
		{"octet out of range", "10.0.0.300/8", "", "ALLOWED_CIDRS", "10.0.0.300/8", ">255"},
		{"leading zero", "203.0.113.0/24, 010.1.1.1", "", "ALLOWED_CIDRS", "010.1.1.1", "leading zero"},
		{"leading zero CIDR", "010.1.1.0/24", "", "ALLOWED_CIDRS", "010.1.1.0/24", "leading zero"},
		{"zone", "fe80::1%eth0", "", "ALLOWED_CIDRS", "fe80::1%eth0", "zone"},
		{"zone CIDR", "fe80::1%eth0/64", "", "ALLOWED_CIDRS", "fe80::1%eth0/64", "zone"},
		{"IPv4 length too long", "10.0.0.0/33", "", "ALLOWED_CIDRS", "10.0.0.0/33", "out of range"},
		{"IPv6 length too long", "2001:db8::/129", "", "ALLOWED_CIDRS", "2001:db8::/129", "out of range"},
		{"no length", "10.0.0.0/", "", "ALLOWED_CIDRS", "10.0.0.0/", "bad bits"},
		{"leading zero length", "10.0.0.0/08", "", "ALLOWED_CIDRS", "10.0.0.0/08", "bad bits"},
		{"negative length", "10.0.0.0/-1", "", "ALLOWED_CIDRS", "10.0.0.0/-1", "bad bits"},
		{"no address", "/8", "", "ALLOWED_CIDRS", "/8", "unable to parse"},
		{"hostname", "10.0.0.0/8 example.com", "", "ALLOWED_CIDRS", "example.com", "unexpected character"},
		{"source word split at space", "AWS Internal", "", "ALLOWED_CIDRS", "AWS", "unable to parse"},
		{"range", "1.2.3.4-1.2.3.9", "", "ALLOWED_CIDRS", "1.2.3.4-1.2.3.9", "unexpected character"},
		{"semicolon", "10.0.0.0/8;192.168.0.0/16", "", "ALLOWED_CIDRS", "10.0.0.0/8;192.168.0.0/16", "unexpected character"},
		{"brackets", "[2001:db8::1]", "", "ALLOWED_CIDRS", "[2001:db8::1]", "colon-separated field"},
		{"truncated IPv4", "10.0.0", "", "ALLOWED_CIDRS", "10.0.0", "IPv4 address too short"},
		{"address in sources", "10.0.0.0/8", "AWS Internal, 203.0.113.9", "ALLOWED_SOURCES", "203.0.113.9", "ALLOWED_CIDRS"},
		{"CIDR in sources", "10.0.0.0/8", "10.0.0.0/8", "ALLOWED_SOURCES", "10.0.0.0/8", "ALLOWED_CIDRS"},
		{"mapped address in sources", "10.0.0.0/8", " ::ffff:1.2.3.4 ", "ALLOWED_SOURCES", "::ffff:1.2.3.4", "ALLOWED_CIDRS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ipallow.Parse(tt.cidrs, tt.sources)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %v, nil; want an error", tt.cidrs, tt.sources, l)
			}
			if l != nil {
				t.Errorf("Parse returned a List with its error")
			}
			if tt.wantVar == "" {
				if !errors.Is(err, ipallow.ErrEmpty) {
					t.Fatalf("error %v, want ErrEmpty", err)
				}
				if !strings.Contains(err.Error(), "ALLOWED_CIDRS") {
					t.Errorf("error %q does not name ALLOWED_CIDRS", err)
				}
				return
			}
			var ee *ipallow.EntryError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v (%T), want *EntryError", err, err)
			}
			if ee.Var != tt.wantVar || ee.Entry != tt.entry {
				t.Errorf("EntryError{Var: %q, Entry: %q}, want {%q, %q}", ee.Var, ee.Entry, tt.wantVar, tt.entry)
			}
			if want := fmt.Sprintf("%s: invalid entry %q: ", tt.wantVar, tt.entry); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to start with %q", err, want)
			}
			if !strings.Contains(ee.Err.Error(), tt.reason) {
				t.Errorf("reason %q does not say %q", ee.Err, tt.reason)
			}
		})
	}
}

func TestParseSources(t *testing.T) {
	tests := []struct {
		name    string
		sources string
		listed  []string
		missed  []string
	}{
		{"empty", "", nil, []string{"AWS Internal", ""}},
		{"blank items", " , ,, ", nil, []string{"", " "}},
		{"trimmed", "  AWS Internal\t,\nsignin.amazonaws.com  ", []string{"AWS Internal", "signin.amazonaws.com"}, []string{"  AWS Internal", "signin.amazonaws.com  "}},
		{"inner space kept", "AWS Internal", []string{"AWS Internal"}, []string{"AWSInternal", "AWS", "Internal"}},
		{"case-sensitive", "AWS Internal", nil, []string{"aws internal", "AWS INTERNAL"}},
		{"not-plain addresses may be listed", "fe80::1%eth0, 06.237.252.245", []string{"fe80::1%eth0", "06.237.252.245"}, []string{"fe80::1%eth1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParse(t, "192.0.2.0/24", tt.sources)
			for _, s := range tt.listed {
				if got := l.Check(s); got != ipallow.AllowedSource {
					t.Errorf("Check(%q) = %v, want %v", s, got, ipallow.AllowedSource)
				}
			}
			for _, s := range tt.missed {
				if got := l.Check(s); got != ipallow.NotIP {
					t.Errorf("Check(%q) = %v, want %v", s, got, ipallow.NotIP)
				}
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		v       ipallow.Verdict
		allowed bool
		text    string
	}{
		{ipallow.Verdict(0), false, "not a plain IP address"},
		{ipallow.NotIP, false, "not a plain IP address"},
		{ipallow.NotListed, false, "not in allowlist"},
		{ipallow.AllowedIP, true, "allowed address"},
		{ipallow.AllowedSource, true, "allowed source"},
	}
	for _, tt := range tests {
		if got := tt.v.Allowed(); got != tt.allowed {
			t.Errorf("Verdict(%d).Allowed() = %v, want %v", tt.v, got, tt.allowed)
		}
		if got := tt.v.String(); got != tt.text {
			t.Errorf("Verdict(%d).String() = %q, want %q", tt.v, got, tt.text)
		}
	}
}

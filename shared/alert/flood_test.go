package alert

import (
	"fmt"
	"testing"
	"time"
)

// The flood control tests run on every ledger (internal/storecontract.DigestLedger);
// contract_test.go runs them on the memory and DynamoDB ledgers.

func TestSummarizeAddrs(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		want  string
	}{
		{"one address", []string{"203.0.113.9"}, "203.0.113.9"},
		{"one /24", []string{"203.0.113.9", "203.0.113.200"}, "203.0.113.0/24"},
		{"one /64", []string{"2a02:1810:4d02:a100::1", "2a02:1810:4d02:a100:ffff:ffff:ffff:ffff"}, "2a02:1810:4d02:a100::/64"},
		{"mapped IPv4", []string{"::ffff:203.0.113.9", "203.0.113.10"}, "203.0.113.0/24"},
		{"two networks", []string{"203.0.113.9", "198.51.100.1", "2001:db8::1"}, "3 addresses"},
	}
	for _, tt := range tests {
		var s addrSet
		for _, a := range tt.addrs {
			s.add(a)
		}
		if got := s.summary(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	var many addrSet
	for i := range 300 {
		many.add(fmt.Sprintf("10.%d.%d.1", i/250, i%250))
	}
	if got := many.summary(); got != "100+ addresses" {
		t.Errorf("300 addresses: %q", got)
	}
}

func TestLedgerOptionsValidate(t *testing.T) {
	for _, tt := range []struct {
		o  LedgerOptions
		ok bool
	}{
		{LedgerOptions{Window: time.Hour}, true},
		{LedgerOptions{Window: time.Hour, FloodCap: 5}, true},
		{LedgerOptions{Window: -time.Second}, false},
		{LedgerOptions{Window: time.Hour, FloodCap: -1}, false},
		{LedgerOptions{Window: time.Hour, FloodCap: MaxFloodCap + 1}, false},
	} {
		if err := tt.o.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.o, err)
		}
	}
}

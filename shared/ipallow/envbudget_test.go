package ipallow_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/ipallow"
)

// lambdaEnvLimit is Lambda's limit on a function's environment variables,
// measured on their JSON object: keys, values, quotes, commas and brackets.
const lambdaEnvLimit = 4096

// TestLambdaEnvBudget checks the table in the package documentation: n entries
// fit in Lambda's environment measurement, n+1 do not, and Parse takes them.
func TestLambdaEnvBudget(t *testing.T) {
	// Another variable whose JSON member takes exactly 1,000 bytes:
	// ,"OTHER":"…" is 11 bytes plus the value.
	other := strings.Repeat("x", 1000-11)
	tests := []struct {
		entry      string
		alone      int
		withOthers int
	}{
		{"203.0.113.0/24", 271, 205},
		{"198.51.100.17", 291, 219},
		{"203.113.140.0/24", 239, 181},
		{"2001:db8:abcd::/48", 214, 161},
		{"2a05:d018:1234:5678::/64", 163, 123},
	}
	envSize := func(t *testing.T, vars map[string]string) int {
		t.Helper()
		b, err := json.Marshal(vars)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			value := func(n int) string { return strings.TrimSuffix(strings.Repeat(tt.entry+",", n), ",") }
			for _, c := range []struct {
				n    int
				vars map[string]string
			}{
				{tt.alone, map[string]string{}},
				{tt.withOthers, map[string]string{"OTHER": other}},
			} {
				c.vars["ALLOWED_CIDRS"] = value(c.n)
				if size := envSize(t, c.vars); size > lambdaEnvLimit {
					t.Errorf("%d entries: environment is %d bytes, over %d", c.n, size, lambdaEnvLimit)
				}
				if _, err := ipallow.Parse(c.vars["ALLOWED_CIDRS"], ""); err != nil {
					t.Errorf("%d entries: %v", c.n, err)
				}
				c.vars["ALLOWED_CIDRS"] = value(c.n + 1)
				if size := envSize(t, c.vars); size <= lambdaEnvLimit {
					t.Errorf("%d entries: environment is %d bytes, fits in %d; the documented count is too low", c.n+1, size, lambdaEnvLimit)
				}
			}
		})
	}
}

package localstate

import (
	"testing"

	"github.com/trailguard/trailguard/internal/storecontract"
)

// TestRuleCounterContract: the SQLite rule counter passes the same contract as the memory and
// DynamoDB counters.
func TestRuleCounterContract(t *testing.T) {
	c, err := openState(t).RuleCounter()
	if err != nil {
		t.Fatal(err)
	}
	storecontract.RuleCounter(t, c)
}

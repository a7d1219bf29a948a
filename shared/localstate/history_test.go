package localstate

import (
	"testing"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/alert"
)

// TestHistoryContract: the SQLite history passes the same contract as the memory and
// DynamoDB ones.
func TestHistoryContract(t *testing.T) {
	storecontract.History(t, func(t *testing.T) alert.History {
		h, err := openState(t).History()
		if err != nil {
			t.Fatal(err)
		}
		return h
	})
}

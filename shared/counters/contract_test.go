package counters_test

import (
	"context"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/testenv"
)

// TestMemoryContract: the in-memory store of local runs keeps the counters contract (it has
// no reads: only what Apply answers is checked).
func TestMemoryContract(t *testing.T) {
	storecontract.Counters(t, func(*testing.T) storecontract.CountersStore { return &counters.Memory{} }, nil)
}

// TestTableContract: the DynamoDB table (on dynalite, created from template.yaml) keeps the
// counters contract; counts are read after the account-hour's merge.
func TestTableContract(t *testing.T) {
	client := testenv.DynamoDB(t)
	storecontract.Counters(t, func(t *testing.T) storecontract.CountersStore {
		return &counters.Table{Client: client, Name: testenv.CreateTable(t, client, "CountersTable"), Retention: 365 * 24 * time.Hour,
			Now: func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }}
	}, func(t *testing.T, s storecontract.CountersStore, account, hour string) []counters.Row {
		tb := s.(*counters.Table)
		if _, err := tb.FlushGroup(context.Background(), account, hour); err != nil {
			t.Fatal(err)
		}
		rows, err := tb.AccountHour(context.Background(), account, hour)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	})
}

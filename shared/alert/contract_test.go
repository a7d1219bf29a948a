package alert_test

// The store contracts (internal/storecontract) on this package's stores: the memory ones, and
// the DynamoDB ones through the real SDK client against dynalite with the tables template.yaml
// defines (under CI=true a missing emulator fails). shared/localstate runs the same suites on
// the SQLite stores. This is an external test package: storecontract imports alert.

import (
	"testing"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/testenv"
)

// ledgerStores are the ledgers of this package, each with how to read its counts back.
var ledgerStores = []struct {
	name   string
	new    storecontract.NewLedger
	counts storecontract.Counts
}{
	{
		name: "memory",
		new:  func(_ *testing.T, o alert.LedgerOptions) alert.Ledger { return &alert.MemoryLedger{Options: o} },
		counts: func(_ *testing.T, l alert.Ledger, a *alert.Alert) (int, int) {
			return l.(*alert.MemoryLedger).Counts(a)
		},
	},
	{
		name: "dynamodb",
		new: func(t *testing.T, o alert.LedgerOptions) alert.Ledger {
			client := testenv.DynamoDB(t)
			return &alert.DynamoDBLedger{Client: client, Table: testenv.CreateTable(t, client, "AlertStateTable"), Options: o}
		},
		counts: func(t *testing.T, l alert.Ledger, a *alert.Alert) (int, int) {
			return alert.DynamoCounts(t, l.(*alert.DynamoDBLedger), a)
		},
	},
}

func TestLedgerContract(t *testing.T) {
	for _, s := range ledgerStores {
		t.Run(s.name, func(t *testing.T) { storecontract.Ledger(t, s.new, s.counts) })
	}
}

func TestDigestLedgerContract(t *testing.T) {
	for _, s := range ledgerStores {
		t.Run(s.name, func(t *testing.T) { storecontract.DigestLedger(t, s.new) })
	}
}

func TestHistoryContract(t *testing.T) {
	stores := []struct {
		name string
		new  storecontract.NewHistory
	}{
		{"memory", func(*testing.T) alert.History { return &alert.MemoryHistory{} }},
		{"dynamodb", func(t *testing.T) alert.History {
			client := testenv.DynamoDB(t)
			return &alert.DynamoHistory{Client: client, Table: testenv.CreateTable(t, client, "AlertStateTable")}
		}},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { storecontract.History(t, s.new) })
	}
}

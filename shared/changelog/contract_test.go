package changelog_test

import (
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/testenv"
)

func TestMemoryStoreContract(t *testing.T) {
	storecontract.Changes(t, func(*testing.T) storecontract.ChangeStore { return &changelog.MemoryStore{} })
}

// TestDynamoStoreContract: the change table on dynalite, created from template.yaml, indexing
// the contract's tag key; its clock is a day after the contract's changes, well within Retain.
func TestDynamoStoreContract(t *testing.T) {
	client := testenv.DynamoDB(t)
	storecontract.Changes(t, func(t *testing.T) storecontract.ChangeStore {
		return &changelog.DynamoStore{Client: client, Table: testenv.CreateTable(t, client, "TagChangeTable"),
			IndexKeys: []string{storecontract.ChangeTagKey}, Retain: 90 * 24 * time.Hour,
			Now: func() time.Time { return storecontract.ChangeTimes[1].Add(24 * time.Hour) }}
	})
}

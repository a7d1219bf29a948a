package tags_test

import (
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/testenv"
)

func TestMemoryKnownContract(t *testing.T) {
	storecontract.Known(t, func(*testing.T) storecontract.KnownStore { return &tags.MemoryKnown{} })
}

// TestDynamoKnownContract: the last-known-tags table on dynalite, created from template.yaml.
func TestDynamoKnownContract(t *testing.T) {
	client := testenv.DynamoDB(t)
	storecontract.Known(t, func(t *testing.T) storecontract.KnownStore {
		return &tags.DynamoKnown{Client: client, Table: testenv.CreateTable(t, client, "KnownTagsTable"), Retain: 7 * 24 * time.Hour}
	})
}

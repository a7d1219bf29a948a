package main

import "github.com/trailguard/trailguard/shared/changelog"

// The change log lives in shared/changelog (the god view reads it too); these names keep
// tagenrich's code and tests as they were.
type (
	// Change is changelog.Change.
	Change = changelog.Change
	// DynamoStore is changelog.DynamoStore.
	DynamoStore = changelog.DynamoStore
	// MemoryStore is changelog.MemoryStore.
	MemoryStore = changelog.MemoryStore
)

// Item key names the integration tests write by hand.
const (
	attrPK      = changelog.AttrPK
	attrSK      = changelog.AttrSK
	skTagPrefix = changelog.SKTagPrefix
)

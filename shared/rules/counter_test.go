package rules_test

// The Counter contract runs on every store from internal/storecontract (an external test
// package: storecontract imports rules); shared/localstate runs it on the SQLite counter.

import (
	"testing"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/rules"
)

func TestMemoryCounter(t *testing.T) { storecontract.RuleCounter(t, &rules.MemoryCounter{}) }

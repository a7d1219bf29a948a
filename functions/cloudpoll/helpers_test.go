package main

import (
	"testing"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/rules"
)

// testDetector is the built-in rule pack, as the function builds it.
func testDetector(t *testing.T) *rules.Detector {
	t.Helper()
	engine, err := rules.Selection{}.Build(pack.FS)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rules.NewDetector(engine, &rules.MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

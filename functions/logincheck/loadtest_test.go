package main

import (
	"context"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/loadtest"
	"github.com/trailguard/trailguard/shared/alert"
)

// TestLoadInMemory replays LOADTEST_EVENTS sign-ins (3,000 in make test, a million in make
// loadtest) with 50 invocations in flight through the SNS wire fake and the in-memory ledger,
// one in 20 delivered twice: every finding raised is sent once, none twice, none lost.
func TestLoadInMemory(t *testing.T) {
	n := loadtest.Size(t, "LOADTEST_EVENTS", 3000)
	runLoad(t, "logincheck in-memory", n, &alert.MemoryLedger{Options: loadtest.LedgerOptions}, nil)
}

// TestLoadEmulators is TestLoadInMemory with the alert ledger on dynalite
// (LOADTEST_EMULATOR_EVENTS: 1,000 in make test, 100,000 in make loadtest).
func TestLoadEmulators(t *testing.T) {
	n := loadtest.Size(t, "LOADTEST_EMULATOR_EVENTS", 1000)
	ddb, reqs := loadtest.Dynamo(t)
	table := loadtest.Table(t, "AlertStateTable")
	runLoad(t, "logincheck emulators", n, &alert.DynamoDBLedger{Client: ddb, Table: table, Options: loadtest.LedgerOptions},
		map[string]*loadtest.Requests{"DynamoDB": reqs})
}

// runLoad drives logincheck as the tests build it (the local allowlist: the documentation
// networks 198.51.100.0/24 and 2001:db8:1::/48 trusted, the rest not), its alerts through the
// load test's tap to the SNS wire fake.
func runLoad(t *testing.T, name string, n int, ledger alert.Ledger, reqs map[string]*loadtest.Requests) {
	loadtest.Alerting(t, name, n, loadtest.NewSource(loadtest.SignIns, 1), ledger, reqs, func(tap *loadtest.Tap) func(context.Context, []byte) error {
		h := newHandler(t, tap)
		return func(ctx context.Context, raw []byte) error { return h.Handle(ctx, json.RawMessage(raw)) }
	})
}

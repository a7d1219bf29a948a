package main

import (
	"context"
	"log/slog"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/loadtest"
	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/rules"
)

// TestLoadInMemory replays LOADTEST_EVENTS API calls (3,000 in make test, a million in make
// loadtest; one in 50 a call the pack alerts on, some refused) through the built-in pack with
// 50 invocations in flight, the SNS wire fake, the in-memory ledger and threshold counts, one
// in 20 delivered twice: every finding raised is sent once, none twice, none lost.
func TestLoadInMemory(t *testing.T) {
	n := loadtest.Size(t, "LOADTEST_EVENTS", 3000)
	runLoad(t, "rules in-memory", n, &alert.MemoryLedger{Options: loadtest.LedgerOptions}, &rules.MemoryCounter{}, nil)
}

// TestLoadEmulators is TestLoadInMemory with the alert ledger and the threshold counts in
// the alert state table on dynalite (LOADTEST_EMULATOR_EVENTS: 1,000 in make test, 100,000
// in make loadtest).
func TestLoadEmulators(t *testing.T) {
	n := loadtest.Size(t, "LOADTEST_EMULATOR_EVENTS", 1000)
	ddb, reqs := loadtest.Dynamo(t)
	table := loadtest.Table(t, "AlertStateTable")
	runLoad(t, "rules emulators", n, &alert.DynamoDBLedger{Client: ddb, Table: table, Options: loadtest.LedgerOptions},
		&rules.DynamoCounter{Client: ddb, Table: table}, map[string]*loadtest.Requests{"DynamoDB": reqs})
}

func runLoad(t *testing.T, name string, n int, ledger alert.Ledger, counts rules.Counter, reqs map[string]*loadtest.Requests) {
	e, err := rules.Selection{}.Build(pack.FS)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rules.NewDetector(e, counts)
	if err != nil {
		t.Fatal(err)
	}
	loadtest.Alerting(t, name, n, loadtest.NewSource(loadtest.APICalls, 2), ledger, reqs, func(tap *loadtest.Tap) func(context.Context, []byte) error {
		h := &Handler{Rules: d, Alerts: tap, Log: slog.New(slog.DiscardHandler), Metrics: &metrics.Counters{Function: "rules"}}
		return func(ctx context.Context, raw []byte) error { return h.Handle(ctx, json.RawMessage(raw)) }
	})
}

package godview

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
)

// countingHours serves the fixture's rows per account-hour and counts the Queries.
type countingHours struct {
	mu      sync.Mutex
	rows    []counters.Row
	queries int
}

func (c *countingHours) AccountHour(_ context.Context, account, hour string) ([]counters.Row, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries++
	var out []counters.Row
	for _, r := range c.rows {
		if r.Account == account && r.Hour == hour {
			out = append(out, r)
		}
	}
	return out, nil
}

// TestTablesSameAnswersAsMemory: the Tables source reads the same rows as the Memory source,
// with one Query per account and hour of the window.
func TestTablesSameAnswersAsMemory(t *testing.T) {
	ctx := context.Background()
	hours := &countingHours{rows: fixtureRows()}
	mem := fixture()
	tables := &Tables{Counters: hours, Accounts: []string{acctA, acctB, acctC}, History: mem.History}
	got, err := Build(ctx, tables, fixtureRange, Options{SilentHours: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Build(ctx, &Memory{Rows: mem.Rows, History: mem.History}, fixtureRange, Options{SilentHours: 2})
	for i := range want.KPIs {
		if got.KPIs[i] != want.KPIs[i] {
			t.Errorf("KPI %s: tables %+v, memory %+v", want.KPIs[i].Name, got.KPIs[i], want.KPIs[i])
		}
	}
	w := Window(fixtureRange)
	if wantQ := 3 * int(w.To.Sub(w.From)/time.Hour); hours.queries != wantQ {
		t.Errorf("%d Queries, want %d (3 accounts × %d hours)", hours.queries, wantQ, wantQ/3)
	}
	if got.NeedTag {
		t.Error("no change log configured: NeedTag set")
	}
}

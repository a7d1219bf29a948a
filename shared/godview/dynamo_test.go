package godview

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
)

// countingHours serves the fixture's rows as the counters table does (summaries per hour,
// counters per account-hour) and counts the Queries.
type countingHours struct {
	mu                sync.Mutex
	rows              []counters.Row
	unsummarized      string // hours before this one have no summaries (merged before they were written)
	summaryQueries    int
	detailQueries     int
	accountHourQuerys int
}

func (c *countingHours) HourSummaries(_ context.Context, hour string, detail bool) ([]counters.Summary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.summaryQueries++
	if detail {
		c.detailQueries++
	}
	if hour < c.unsummarized {
		return nil, nil
	}
	var rows []counters.Row
	for _, r := range c.rows {
		if r.Hour == hour {
			rows = append(rows, r)
		}
	}
	return counters.Summarize(rows, detail), nil
}

func (c *countingHours) AccountHour(_ context.Context, account, hour string) ([]counters.Row, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.accountHourQuerys++
	var out []counters.Row
	for _, r := range c.rows {
		if r.Account == account && r.Hour == hour {
			out = append(out, r)
		}
	}
	return out, nil
}

// TestTablesSameAnswersAsMemory: the Tables source, reading hour summaries, builds the same
// model as the Memory source over the counters, with one Query per hour of the window
// (whatever the accounts), the ranked lists read for the range's hours only.
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
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tables' model\n%+v\nmemory's\n%+v", got, want)
	}
	w := Window(fixtureRange)
	if wantQ := int(w.To.Sub(w.From) / time.Hour); hours.summaryQueries != wantQ || hours.detailQueries != fixtureRange.Hours() || hours.accountHourQuerys != 0 {
		t.Errorf("%d summary Queries (%d with detail), %d account-hour Queries; want %d (%d), 0",
			hours.summaryQueries, hours.detailQueries, hours.accountHourQuerys, wantQ, fixtureRange.Hours())
	}
	if got.NeedTag {
		t.Error("no change log configured: NeedTag set")
	}
	// Hours merged before summaries were written (the week after the upgrade) are summarized
	// from their counters: the same model, one Query per account for each of those hours.
	// (Summaries from 08:00 on, the day of the range: every hour of the window before it is
	// read from the counters.)
	old := &countingHours{rows: fixtureRows(), unsummarized: fixtureRange.From.Add(-2 * time.Hour).Format(counters.HourLayout)}
	upgraded, err := Build(ctx, &Tables{Counters: old, Accounts: []string{acctA, acctB, acctC}, History: mem.History}, fixtureRange, Options{SilentHours: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(upgraded, want) {
		t.Errorf("model over unsummarized hours\n%+v\nwant\n%+v", upgraded, want)
	}
	if wantQ := 3 * (int(fixtureRange.From.Sub(w.From)/time.Hour) - 2); old.accountHourQuerys != wantQ {
		t.Errorf("%d account-hour Queries for the unsummarized hours, want %d", old.accountHourQuerys, wantQ)
	}
	// Activity still reads the counters: one Query per account and hour.
	rows, err := tables.Activity(ctx, fixtureRange.From, fixtureRange.To)
	if err != nil || hours.accountHourQuerys != 3*fixtureRange.Hours() || len(rows) == 0 {
		t.Errorf("Activity: %d rows, %d Queries (error %v)", len(rows), hours.accountHourQuerys, err)
	}
}

// TestTablesClouds: the deployed path carries the clouds: the summaries hold each account's
// cloud, and the accounts of other clouds show although ACCOUNTS lists AWS's only.
func TestTablesClouds(t *testing.T) {
	ctx := context.Background()
	mem := cloudFixture()
	tables := &Tables{Counters: &countingHours{rows: mem.Rows}, Accounts: []string{acctA, acctB, acctC}, History: mem.History}
	for _, cloud := range []string{"", "aws", "huawei", "tencent"} {
		opts := Options{SilentHours: 2, Cloud: cloud}
		got, err := Build(ctx, tables, fixtureRange, opts)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Build(ctx, &Memory{Rows: mem.Rows, History: mem.History}, fixtureRange, opts)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("cloud %q: tables' model\n%+v\nmemory's\n%+v", cloud, got, want)
		}
		if cloud == "" && len(got.Clouds) != 3 {
			t.Errorf("clouds %+v, want aws, huawei and tencent", got.Clouds)
		}
	}
}

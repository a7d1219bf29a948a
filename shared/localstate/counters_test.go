package localstate_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/localstate"
)

// open opens a fresh state directory, closed at the test's end.
func open(t *testing.T) *localstate.DB {
	t.Helper()
	db, err := localstate.Open(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCountersContract(t *testing.T) {
	storecontract.Counters(t, func(t *testing.T) storecontract.CountersStore {
		c, err := localstate.NewCounters(context.Background(), open(t))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, func(t *testing.T, s storecontract.CountersStore, account, hour string) []counters.Row {
		h, err := time.Parse(counters.HourLayout, hour)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.(*localstate.Counters).Rows(context.Background(), h, h.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(rows, func(r counters.Row) bool { return r.Account != account })
	})
}

// TestCounterColumnsFollowKey: the table's columns are counters.Key's json names, whichever
// fields Key has, and a state made before a field was added gains its column.
func TestCounterColumnsFollowKey(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE counters (hour TEXT NOT NULL DEFAULT '', account TEXT NOT NULL DEFAULT '', count INTEGER NOT NULL DEFAULT 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, `CREATE UNIQUE INDEX counters_key ON counters (hour, account)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO counters VALUES ('2026-11-20T08', '111122223333', 5)`); err != nil {
		t.Fatal(err)
	}
	c, err := localstate.NewCounters(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT name FROM pragma_table_info('counters') ORDER BY cid`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != "count" {
			got = append(got, n)
		}
	}
	rows.Close()
	want := localstate.CounterColumns()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("columns %v, want counters.Key's %v", got, want)
	}
	// The old row is the counter with the new dimensions empty: a new count adds to it.
	tally := counters.NewTally()
	tally.Add(&counters.Key{Hour: "2026-11-20T08", Account: "111122223333"})
	if _, err := c.Apply(ctx, counters.FileID{Bucket: "b", Key: "k", ETag: "e"}, tally); err != nil {
		t.Fatal(err)
	}
	h, _ := time.Parse(counters.HourLayout, "2026-11-20T08")
	all, err := c.Rows(ctx, h, h.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Count != 6 {
		t.Errorf("rows %+v, want the old counter at 6", all)
	}
}

// TestCountersSeenByAnotherOpen: a state written by one process is read by the next (the
// aggregate run, then godview).
func TestCountersSeenByAnotherOpen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state")
	write := func(etag string) {
		db, err := localstate.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c, err := localstate.NewCounters(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		tally := counters.NewTally()
		tally.Add(&counters.Key{Hour: "2026-11-20T08", Account: "111122223333", EventName: "GetObject"})
		if _, err := c.Apply(ctx, counters.FileID{Bucket: "b", Key: "k", ETag: etag}, tally); err != nil {
			t.Fatal(err)
		}
	}
	write("e1")
	write("e1")
	write("e2")
	db, err := localstate.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := localstate.NewCounters(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := c.LatestHour(ctx)
	if err != nil || latest != "2026-11-20T08" {
		t.Fatalf("latest hour %q, %v", latest, err)
	}
	var n int64
	if err := db.SQL.QueryRowContext(ctx, `SELECT sum(count) FROM counters WHERE event_name = 'GetObject'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("GetObject count %d (%v), want 2: e1 twice counts once, e2 once", n, err)
	}
}

// BenchmarkCountersApply: one file of 10,000 distinct counters applied to the SQLite state
// (each iteration a new file), and its redelivery (the ledger answers: nothing added).
func BenchmarkCountersApply(b *testing.B) {
	ctx := context.Background()
	db, err := localstate.Open(filepath.Join(b.TempDir(), "state"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c, err := localstate.NewCounters(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	tally := counters.NewTally()
	for i := range 10_000 {
		tally.Add(&counters.Key{Hour: "2026-11-20T08", Account: "111122223333",
			Principal: "arn:aws:iam::111122223333:user/p" + strconv.Itoa(i), SourceIP: "192.0.2." + strconv.Itoa(i%20),
			EventName: "GetObject", ResourceType: "AWS::S3::Object", EventType: "AwsApiCall"})
	}
	b.Run("new file", func(b *testing.B) {
		for i := range b.N {
			if _, err := c.Apply(ctx, counters.FileID{Bucket: "b", Key: "k" + strconv.Itoa(i), ETag: "e"}, tally); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(tally.Len())*float64(b.N)/b.Elapsed().Seconds(), "counters/s")
	})
	b.Run("redelivered", func(b *testing.B) {
		for range b.N {
			if _, err := c.Apply(ctx, counters.FileID{Bucket: "b", Key: "k0", ETag: "e"}, tally); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCountersRefuseUnknownColumns: a state whose counters have a dimension this build's
// counters.Key lacks is refused (its counters could not be told apart), naming the column.
func TestCountersRefuseUnknownColumns(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE counters (hour TEXT NOT NULL DEFAULT '', planet TEXT NOT NULL DEFAULT '', count INTEGER NOT NULL DEFAULT 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := localstate.NewCounters(ctx, db); err == nil || !strings.Contains(err.Error(), "planet") {
		t.Fatalf("error %v, want one naming the column planet", err)
	}
}

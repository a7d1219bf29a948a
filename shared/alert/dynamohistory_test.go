package alert

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/testenv"
)

// histories are the two History implementations; the contract runs on both, the DynamoDB
// one against dynalite with AlertStateTable as template.yaml defines it.
func histories() map[string]func(t *testing.T) History {
	return map[string]func(t *testing.T) History{
		"memory": func(*testing.T) History { return &MemoryHistory{} },
		"dynamodb": func(t *testing.T) History {
			client := testenv.DynamoDB(t)
			return &DynamoHistory{Client: client, Table: testenv.CreateTable(t, client, "AlertStateTable")}
		},
	}
}

func TestHistoryContract(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	sent := func(id string, at time.Duration) Sent {
		a := alertFor(id)
		return SentAt(&a, base.Add(at))
	}
	for name, newHistory := range histories() {
		t.Run(name, func(t *testing.T) {
			h := newHistory(t)
			// Three hours, two alerts in one hour, one sent again later (a lapsed lease) and a
			// batch recorded twice (redelivery): each alert is listed once, first sending kept.
			batch := []Sent{sent("e1", 5*time.Minute), sent("e2", 70*time.Minute), sent("e3", 75*time.Minute), sent("e4", 130*time.Minute)}
			for range 2 {
				if err := h.Record(ctx, batch); err != nil {
					t.Fatal(err)
				}
			}
			if err := h.Record(ctx, []Sent{sent("e2", 150*time.Minute)}); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name     string
				from, to time.Duration
				limit    int
				want     []string
			}{
				{"all, newest first", -time.Hour, 4 * time.Hour, 0, []string{"e4", "e3", "e2", "e1"}},
				{"limit", -time.Hour, 4 * time.Hour, 2, []string{"e4", "e3"}},
				{"one hour", time.Hour, 2 * time.Hour, 0, []string{"e3", "e2"}},
				{"to excluded", 0, 75 * time.Minute, 0, []string{"e2", "e1"}},
				{"from inside an hour", 72 * time.Minute, 140 * time.Minute, 0, []string{"e4", "e3"}},
				{"none", 5 * time.Hour, 6 * time.Hour, 0, nil},
			} {
				got, err := h.Recent(ctx, base.Add(tc.from), base.Add(tc.to), tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, s := range got {
					ids = append(ids, s.EventID)
				}
				if !slices.Equal(ids, tc.want) {
					t.Errorf("%s: %v, want %v", tc.name, ids, tc.want)
				}
				for _, s := range got {
					if s.EventID == "e2" && !s.At.Equal(base.Add(70*time.Minute)) {
						t.Errorf("%s: e2 sent at %v, want the first sending", tc.name, s.At)
					}
				}
			}
			// Round trip of every field.
			got, _ := h.Recent(ctx, base, base.Add(10*time.Minute), 0)
			if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(batch[0]) {
				t.Errorf("read %+v, want %+v", got, batch[0])
			}
		})
	}
}

// TestDynamoHistoryManyInOneHour writes more alerts in one hour than one UpdateItem takes
// and reads a range longer than one BatchGetItem (two days: 192 keys).
func TestDynamoHistoryManyInOneHour(t *testing.T) {
	ctx := context.Background()
	h := histories()["dynamodb"](t)
	base := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	var batch []Sent
	for i := range 3*historyBatch + 7 {
		a := alertFor(fmt.Sprintf("ev-%03d", i))
		batch = append(batch, SentAt(&a, base.Add(time.Duration(i)*time.Second)))
	}
	if err := h.Record(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := h.Recent(ctx, base.Add(-47*time.Hour), base.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(batch) || got[0].EventID != "ev-126" {
		t.Errorf("read %d alerts (first %v), want %d, newest ev-126", len(got), got[0].EventID, len(batch))
	}
}

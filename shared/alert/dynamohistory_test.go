package alert

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/testenv"
)

// TestDynamoHistoryManyInOneHour writes more alerts in one hour than one UpdateItem takes
// and reads a range longer than one BatchGetItem (two days: 192 keys).
func TestDynamoHistoryManyInOneHour(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	h := &DynamoHistory{Client: client, Table: testenv.CreateTable(t, client, "AlertStateTable")}
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

package counters

import (
	"context"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/testenv"
)

// TestSummaryKeepsTheLaterPlan: a summary is replaced by one of an equal or later plan only,
// so a merge that finishes an older plan after a late file's merge cannot put back the older
// totals; and a retried plan rewrites its own.
func TestSummaryKeepsTheLaterPlan(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	tb := &Table{Client: client, Name: testenv.CreateTable(t, client, "CountersTable"), Retention: 90 * 24 * time.Hour,
		Now: func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }}
	const hour = "2026-11-20T08"
	summary := func(n int64) Summary {
		z := newSummarizer("111122223333", hour, true)
		z.add(&Key{Hour: hour, Account: "111122223333", Principal: "p", SourceIP: "192.0.2.1", EventName: "GetObject"}, n)
		return z.summary()
	}
	for _, step := range []struct {
		name      string
		count     int64
		plan      int
		wantCount int64
		wantPlan  int
	}{
		{"late file's merge (plan 3)", 30, 3, 30, 3},
		{"older plan finished late (plan 2)", 20, 2, 30, 3},
		{"plan 3 retried", 30, 3, 30, 3},
		{"another late file (plan 4)", 45, 4, 45, 4},
	} {
		if err := tb.putSummary(ctx, summary(step.count), step.plan); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		for _, detail := range []bool{false, true} {
			got, err := tb.HourSummaries(ctx, hour, detail)
			if err != nil || len(got) != 1 {
				t.Fatalf("%s: %d summaries, error %v", step.name, len(got), err)
			}
			if got[0].Count != step.wantCount || got[0].Plan != step.wantPlan || (detail && got[0].Detail.Principals[0].Count != step.wantCount) {
				t.Errorf("%s (detail %v): count %d of plan %d, want %d of plan %d", step.name, detail, got[0].Count, got[0].Plan, step.wantCount, step.wantPlan)
			}
		}
	}
}

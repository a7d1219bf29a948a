package alert

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/testenv"
)

// TestNewSenderKeepsHistory: the sender every function builds from its configuration records
// what it delivers, in the state table when there is one (dynalite here), else in memory.
func TestNewSenderKeepsHistory(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		table func(t *testing.T) string
		want  string
	}{
		{"local", func(*testing.T) string { return "" }, "*alert.MemoryHistory"},
		{"state table", func(t *testing.T) string {
			return testenv.CreateTable(t, testenv.DynamoDB(t), "AlertStateTable")
		}, "*alert.DynamoHistory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{StateTable: tc.table(t), SuppressWindow: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 3}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			s, err := c.NewSender(LoadDefaultAWS(ctx), Local{Out: io.Discard}, log, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := typeName(s.History); got != tc.want {
				t.Fatalf("History is %s, want %s", got, tc.want)
			}
			s.Now = func() time.Time { return t0 }
			if err := s.Publish(ctx, []Alert{alertFor("e1")}); err != nil {
				t.Fatal(err)
			}
			got, err := s.History.Recent(ctx, t0.Add(-time.Hour), t0.Add(time.Hour), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].EventID != "e1" || !got[0].At.Equal(t0) {
				t.Errorf("history %+v, want e1 sent at %v", got, t0)
			}
		})
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

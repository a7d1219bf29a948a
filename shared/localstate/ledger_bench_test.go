package localstate

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/alert"
)

// BenchmarkSenderLedgerSQLite is what the SQLite state adds to one alert of a local run, on
// the three paths: a new finding sent (claim, publish, commit: two transactions), a repeat
// suppressed in the window, and a redelivery (one transaction each).
func BenchmarkSenderLedgerSQLite(b *testing.B) {
	db, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l, err := db.Ledger(alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	clock := storecontract.T0
	s := storecontract.QuietSender(l, nopPublisher{}, &clock)
	b.Run("send", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			a := storecontract.AlertFor("send-" + strconv.Itoa(i))
			a.Principal = "arn:aws:iam::111122223333:user/u" + strconv.Itoa(i) // a new finding each time
			if err := s.Publish(ctx, []alert.Alert{a}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("suppress", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := s.Publish(ctx, []alert.Alert{storecontract.AlertFor("sup-" + strconv.Itoa(i))}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		a := storecontract.AlertFor("dup")
		for b.Loop() {
			if err := s.Publish(ctx, []alert.Alert{a}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []alert.Alert) error { return nil }

package alert

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/testenv"
)

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []Alert) error { return nil }

// BenchmarkSenderLedgerDynalite is the latency the durable path adds to one alert, measured
// through the real SDK client against dynalite on loopback (publish itself is a no-op here):
// "send" = claim event + claim fingerprint + mark sent + mark event done; "suppress" = claim
// event + count on the fingerprint + mark event done; "duplicate" = one failed conditional put
// and a read.
func BenchmarkSenderLedgerDynalite(b *testing.B) {
	client := testenv.DynamoDB(b)
	table := testenv.CreateTable(b, client, "AlertStateTable")
	newSender := func() *Sender {
		return &Sender{
			Ledger:    &DynamoDBLedger{Client: client, Table: table, Options: LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
			Publisher: nopPublisher{},
			Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
	}
	ctx := context.Background()
	run := 0
	b.Run("send", func(b *testing.B) {
		s := newSender()
		run++
		for i := range b.N {
			a := alertFor("send-" + strconv.Itoa(run) + "-" + strconv.Itoa(i))
			a.SourceIP, a.Principal = a.EventID, a.EventID // a new finding (and flood) each time
			if err := s.Publish(ctx, []Alert{a}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("suppress", func(b *testing.B) {
		s := newSender()
		run++
		for i := range b.N {
			if err := s.Publish(ctx, []Alert{alertFor("sup-" + strconv.Itoa(run) + "-" + strconv.Itoa(i))}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		s := newSender()
		a := alertFor("dup")
		if err := s.Publish(ctx, []Alert{a}); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if err := s.Publish(ctx, []Alert{a}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

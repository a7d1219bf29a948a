package alert

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// failingPublisher delivers every alert but those whose event ID is in fail.
type failingPublisher struct{ fail map[string]bool }

func (p failingPublisher) Publish(_ context.Context, alerts []Alert) error {
	pe := &PartialError{Failed: map[int]error{}}
	for i, a := range alerts {
		if p.fail[a.EventID] {
			pe.Failed[i] = errors.New("throttled")
		}
	}
	if len(pe.Failed) > 0 {
		return pe
	}
	return nil
}

// brokenHistory fails every Record.
type brokenHistory struct{}

func (brokenHistory) Record(context.Context, []Sent) error { return errors.New("table gone") }
func (brokenHistory) Recent(context.Context, time.Time, time.Time, int) ([]Sent, error) {
	return nil, nil
}

func TestSenderKeepsHistoryOfDeliveredAlerts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		fail      map[string]bool
		publishes int // deliveries of the same batch (redelivery)
		want      []string
		wantErr   bool
	}{
		{name: "all delivered", publishes: 1, want: []string{"e1", "e2"}},
		{name: "redelivered batch listed once", publishes: 2, want: []string{"e1", "e2"}},
		{name: "failed alert not listed", fail: map[string]bool{"e2": true}, publishes: 1, want: []string{"e1"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &MemoryHistory{}
			s := &Sender{Ledger: &MemoryLedger{Options: LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
				Publisher: failingPublisher{tc.fail}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Now: func() time.Time { return t0 }, History: h}
			e1, e2 := alertFor("e1"), alertFor("e2")
			e2.Principal = "arn:aws:iam::111122223333:user/bob"
			var err error
			for range tc.publishes {
				err = s.Publish(ctx, []Alert{e1, e2})
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("Publish: %v, want error %v", err, tc.wantErr)
			}
			got, _ := h.Recent(ctx, t0.Add(-time.Minute), t0.Add(time.Minute), 0)
			var ids []string
			for _, g := range got {
				ids = append(ids, g.EventID)
				if !g.At.Equal(t0) || g.Kind != e1.Kind || g.Key == "" {
					t.Errorf("entry %+v: want sent at %v, kind %s, a key", g, t0, e1.Kind)
				}
			}
			if len(ids) != len(tc.want) {
				t.Fatalf("history %v, want %v", ids, tc.want)
			}
			for _, w := range tc.want {
				if !slices.Contains(ids, w) {
					t.Errorf("history %v, want %s in it", ids, w)
				}
			}
		})
	}
}

func TestSenderHistoryFailureDoesNotFailSend(t *testing.T) {
	s := &Sender{Ledger: &MemoryLedger{Options: LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
		Publisher: failingPublisher{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return t0 }, History: brokenHistory{}}
	if err := s.Publish(context.Background(), []Alert{alertFor("e1")}); err != nil {
		t.Fatalf("a delivered alert whose history write failed: %v, want nil (no re-send)", err)
	}
}

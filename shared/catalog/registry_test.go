package catalog

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// memLedger is a ledger in memory that can be made to fail.
type memLedger struct {
	mu        sync.Mutex
	items     map[string]string // table/name → location
	reads     int
	readErr   error
	recordErr error
}

func (l *memLedger) Known(_ context.Context, table Table, names []string) (map[string]bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	if l.readErr != nil {
		return nil, l.readErr
	}
	known := map[string]bool{}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, errors.New("ValidationException: Provided list of item keys contains duplicates")
		}
		seen[n] = true
		if _, ok := l.items[table.String()+"/"+n]; ok {
			known[n] = true
		}
	}
	return known, nil
}

func (l *memLedger) Record(_ context.Context, table Table, p Partition) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recordErr != nil {
		return l.recordErr
	}
	if l.items == nil {
		l.items = map[string]string{}
	}
	if _, ok := l.items[table.String()+"/"+p.Name]; !ok {
		l.items[table.String()+"/"+p.Name] = p.Location
	}
	return nil
}

func newRegistry(t *testing.T) (*Registry, *memLedger, *Registrar) {
	t.Helper()
	_, r := newRegistrar(t)
	l := &memLedger{}
	return &Registry{Table: testTable, Glue: r, Ledger: l}, l, r
}

func TestRegistryEnsure(t *testing.T) {
	reg, led, _ := newRegistry(t)
	a, b, c := day("111122223333", "us-east-1", 1), day("111122223333", "us-east-1", 2), day("444455556666", "eu-west-1", 2)
	led.items = map[string]string{testTable.String() + "/" + b.Name: b.Location} // b registered by an earlier container

	out := reg.Ensure(t.Context(), []Partition{a, b, a, c})
	if got := statuses(out); !slices.Equal(got, []string{"created", "in-ledger", "created", "created"}) {
		t.Fatalf("first: %q", got)
	}
	if len(led.items) != 3 {
		t.Errorf("ledger has %d items, want 3", len(led.items))
	}
	out = reg.Ensure(t.Context(), []Partition{c, b, a})
	if got := statuses(out); !slices.Equal(got, []string{"cached", "cached", "cached"}) {
		t.Errorf("again: %q", got)
	}
	if led.reads != 1 {
		t.Errorf("ledger read %d times, want once: the cache answers the second time", led.reads)
	}
}

func TestRegistryFailures(t *testing.T) {
	a, b := day("111122223333", "us-east-1", 1), day("111122223333", "us-east-1", 2)
	t.Run("ledger unreadable: nothing is created", func(t *testing.T) {
		reg, led, _ := newRegistry(t)
		led.readErr = errors.New("ProvisionedThroughputExceededException")
		out := reg.Ensure(t.Context(), []Partition{a, b})
		for _, o := range out {
			if o.Status != Failed || !strings.Contains(o.Err.Error(), "ProvisionedThroughputExceededException") {
				t.Errorf("outcome %+v", o)
			}
		}
	})
	t.Run("Glue fails one: its ledger item is not written, the retry creates it", func(t *testing.T) {
		fake, r := newRegistrar(t)
		led := &memLedger{}
		reg := &Registry{Table: testTable, Glue: r, Ledger: led}
		fake.FailPartition(b.Values, "InternalServiceException", 1)
		out := reg.Ensure(t.Context(), []Partition{a, b})
		if got := statuses(out); !slices.Equal(got, []string{"created", "failed"}) {
			t.Fatalf("statuses %q", got)
		}
		if _, ok := led.items[testTable.String()+"/"+b.Name]; ok || len(led.items) != 1 {
			t.Errorf("ledger %v: only a's item belongs there", led.items)
		}
		out = reg.Ensure(t.Context(), []Partition{a, b})
		if got := statuses(out); !slices.Equal(got, []string{"cached", "created"}) {
			t.Errorf("retry: %q", got)
		}
		if len(led.items) != 2 {
			t.Errorf("ledger has %d items after the retry, want 2", len(led.items))
		}
	})
	t.Run("ledger write fails: failed, not cached, retried as already existing", func(t *testing.T) {
		reg, led, _ := newRegistry(t)
		led.recordErr = errors.New("RequestLimitExceeded")
		out := reg.Ensure(t.Context(), []Partition{a})
		if out[0].Status != Failed || !strings.Contains(out[0].Err.Error(), "is in Glue (created) but not in the ledger") {
			t.Fatalf("outcome %+v", out[0])
		}
		led.recordErr = nil
		if out := reg.Ensure(t.Context(), []Partition{a}); out[0].Status != Existed {
			t.Errorf("retry: %+v, want already-existed", out[0])
		}
		if len(led.items) != 1 {
			t.Errorf("ledger has %d items, want 1", len(led.items))
		}
	})
}

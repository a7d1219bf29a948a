package changelog

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore keeps change records in memory, one per event and resource like DynamoStore,
// queries newest first (by any tag, not only the indexed keys): the local replay's store, and
// tests'.
type MemoryStore struct {
	mu      sync.Mutex
	changes map[string]Change
}

// Put stores c once; see DynamoStore.Put.
func (s *MemoryStore) Put(_ context.Context, c Change) (Change, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.changes[c.Key()]; ok {
		return old, false, nil
	}
	if s.changes == nil {
		s.changes = map[string]Change{}
	}
	s.changes[c.Key()] = c
	return c, true, nil
}

// All returns every stored change, newest first.
func (s *MemoryStore) All() []Change {
	return s.match(func(Change) bool { return true }, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// ByTag returns the changes to resources tagged key=value between from and to, newest first.
func (s *MemoryStore) ByTag(_ context.Context, key, value string, from, to time.Time) ([]Change, error) {
	return s.match(func(c Change) bool { return c.Tags.Has(key, value) }, from, to), nil
}

// ByPrincipal returns the changes made by principal between from and to, newest first.
func (s *MemoryStore) ByPrincipal(_ context.Context, principal string, from, to time.Time) ([]Change, error) {
	return s.match(func(c Change) bool { return c.Principal == principal }, from, to), nil
}

func (s *MemoryStore) match(keep func(Change) bool, from, to time.Time) []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	lo, hi := from.UTC().Format(TimeLayout), to.UTC().Format(TimeLayout)
	var out []Change
	for _, c := range s.changes {
		if c.Time >= lo && c.Time <= hi && keep(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.Time, a.Time), cmp.Compare(a.Key(), b.Key()))
	})
	return out
}

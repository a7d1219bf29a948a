package cloudaudit

import (
	"context"
	"sync"
	"time"
)

// State keeps each poll source's cursor (the end of its last complete window) and the event
// IDs already processed. It lives here, not in functions/cloudpoll, so that every store can
// implement it without importing a command: DynamoDB in AWS (functions/cloudpoll
// DynamoState: cursor items and seen items with a TTL, the seen write conditional on the
// item's absence), SQLite under -state DIR (shared/localstate CloudState), MemoryState for
// tests and runs without state. functions/cloudpoll's state_test.go holds the one contract
// all three pass.
type State interface {
	// Cursor is the end of the source's last complete window; zero when it never completed one.
	Cursor(ctx context.Context, source string) (time.Time, error)
	// SetCursor records a completed window's end. A cursor never moves back: an earlier end
	// than the one stored leaves it where it is.
	SetCursor(ctx context.Context, source string, end time.Time) error
	// Seen reports whether the event was processed already.
	Seen(ctx context.Context, key string) (bool, error)
	// MarkSeen records the event as processed, once: false when it was marked already (the
	// conditional write lost), so a concurrent poll never counts it twice. expires is when the
	// mark may be forgotten (after every window that could read the event again).
	MarkSeen(ctx context.Context, key string, expires time.Time) (bool, error)
}

// MemoryState is State in memory.
type MemoryState struct {
	mu      sync.Mutex
	cursors map[string]time.Time
	seen    map[string]time.Time
}

func (m *MemoryState) init() {
	if m.cursors == nil {
		m.cursors, m.seen = map[string]time.Time{}, map[string]time.Time{}
	}
}

// Cursor implements State.
func (m *MemoryState) Cursor(_ context.Context, source string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	return m.cursors[source], nil
}

// SetCursor implements State.
func (m *MemoryState) SetCursor(_ context.Context, source string, end time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	if end.After(m.cursors[source]) {
		m.cursors[source] = end
	}
	return nil
}

// Seen implements State.
func (m *MemoryState) Seen(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	_, ok := m.seen[key]
	return ok, nil
}

// MarkSeen implements State.
func (m *MemoryState) MarkSeen(_ context.Context, key string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	if _, ok := m.seen[key]; ok {
		return false, nil
	}
	m.seen[key] = expires
	return true, nil
}

package alert

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Sent is what the god view lists of an alert that left: who, from where, when, what. It is
// the alert's identifying fields as they were, not its rendering (the page escapes them).
type Sent struct {
	At        time.Time `json:"at"` // when it was sent
	Kind      string    `json:"kind"`
	Severity  Severity  `json:"severity"`
	Title     string    `json:"title"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Principal string    `json:"principal"`
	User      string    `json:"user"`
	SourceIP  string    `json:"source_ip"`
	EventID   string    `json:"event_id"`
	EventName string    `json:"event_name"`
	EventTime time.Time `json:"event_time"`
	// Key is the alert's DedupeKey: one entry per finding of one event, so a history written
	// twice for one alert (a lapsed lease re-sending it) lists it once.
	Key string `json:"key"`
}

// SentAt is a's entry in a History, sent at.
func SentAt(a *Alert, at time.Time) Sent {
	return Sent{At: at.UTC(), Kind: a.Kind, Severity: a.Severity, Title: a.Title, Account: a.Account,
		Region: a.Region, Principal: a.Principal, User: a.User, SourceIP: a.SourceIP, EventID: a.EventID,
		EventName: a.EventName, EventTime: a.EventTime.UTC(), Key: a.DedupeKey()}
}

// History keeps the alerts that were sent, so the god view can list the recent ones. The
// Sender records each alert once it is delivered; a History that fails does not fail the
// invocation (the alert is out; failing would send it again).
type History interface {
	Record(ctx context.Context, sent []Sent) error
	// Recent returns the alerts sent in [from, to), newest first, at most limit (0: all).
	Recent(ctx context.Context, from, to time.Time, limit int) ([]Sent, error)
}

// MemoryHistory is the History of local runs and tests.
type MemoryHistory struct {
	mu   sync.Mutex
	sent map[string]Sent
}

// Record implements History: one entry per Key, the first kept.
func (h *MemoryHistory) Record(_ context.Context, sent []Sent) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sent == nil {
		h.sent = map[string]Sent{}
	}
	for _, s := range sent {
		if _, ok := h.sent[s.Key]; !ok {
			h.sent[s.Key] = s
		}
	}
	return nil
}

// Recent implements History.
func (h *MemoryHistory) Recent(_ context.Context, from, to time.Time, limit int) ([]Sent, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Sent
	for _, s := range h.sent {
		if !s.At.Before(from) && s.At.Before(to) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Sent) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.Key, b.Key)) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

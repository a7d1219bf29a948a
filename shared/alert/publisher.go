package alert

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Publisher delivers alerts. Publish returns nil when every alert was delivered. When only
// some were, it returns a *PartialError naming the others, so a caller can retry exactly those.
type Publisher interface {
	Publish(ctx context.Context, alerts []Alert) error
}

// PartialError lists the alerts (by index into the published slice) that were not delivered.
type PartialError struct {
	Failed map[int]error
}

func (e *PartialError) Error() string {
	idx := make([]int, 0, len(e.Failed))
	for i := range e.Failed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		parts = append(parts, fmt.Sprintf("alert %d: %v", i, e.Failed[i]))
	}
	return fmt.Sprintf("%d alert(s) not delivered: %s", len(idx), strings.Join(parts, "; "))
}

// failedIndexes reports which alerts of a Publish call were not delivered: all of them for
// an error that is not a *PartialError.
func failedIndexes(err error, n int) map[int]bool {
	out := map[int]bool{}
	if err == nil {
		return out
	}
	if pe, ok := err.(*PartialError); ok {
		for i := range pe.Failed {
			out[i] = true
		}
		return out
	}
	for i := range n {
		out[i] = true
	}
	return out
}

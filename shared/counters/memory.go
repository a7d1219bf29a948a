package counters

import (
	"context"
	"sync"
)

// Memory is the in-memory counters store of local runs: the table's items and exactly-once
// rule (a file's marker per item), without DynamoDB. Like the SQLite state it keeps an item per
// counter, the region in its key: local items cost nothing, so they are not merged per region
// as the table's are.
type Memory struct {
	mu    sync.Mutex
	items map[[2]string]*memItem
}

type memItem struct {
	count   int64
	markers map[string]int64 // file marker → count before that file
}

// Apply implements the same exactly-once rule as Table.Apply.
func (m *Memory) Apply(_ context.Context, file FileID, tally *Tally) (Applied, error) {
	writes, rules := plan(tally, planAll|planRegionKeys)
	marker := file.Marker()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[[2]string]*memItem{}
	}
	out := Applied{Rules: make([]RuleResult, len(rules))}
	for w := range writes {
		it := m.items[[2]string{w.pk, w.sk}]
		if it == nil {
			it = &memItem{markers: map[string]int64{}}
			m.items[[2]string{w.pk, w.sk}] = it
		}
		before, done := it.markers[marker]
		if done {
			out.Already++
		} else {
			before = it.count
			it.markers[marker] = before
			it.count += w.inc
			out.Written++
		}
		if w.rule >= 0 {
			out.Rules[w.rule] = RuleResult{RuleCount: rules[w.rule], Before: before, After: before + w.inc}
		}
	}
	return out, nil
}

package catalog

import (
	"context"
	"fmt"
	"sync"
)

// creator creates partitions in Glue (Registrar).
type creator interface {
	Create(ctx context.Context, parts []Partition) []Outcome
}

// ledger remembers registered partitions (Ledger).
type ledger interface {
	Known(ctx context.Context, table Table, names []string) (map[string]bool, error)
	Record(ctx context.Context, table Table, p Partition) error
}

// Registry makes sure partitions of one table are registered, asking the cache, then the
// ledger, then Glue, and recording in the ledger what Glue confirmed. It is safe for
// concurrent use.
type Registry struct {
	Table  Table
	Glue   creator
	Ledger ledger

	mu     sync.Mutex
	cached map[string]bool
}

// Ensure registers each of parts unless it is known registered, and says what became of
// each. Repeats in parts are asked for once and share their outcome.
func (r *Registry) Ensure(ctx context.Context, parts []Partition) []Outcome {
	out := make([]Outcome, len(parts))
	first := map[string]int{} // name → index of its first occurrence among the unknown
	var todo []int
	r.mu.Lock()
	for i, p := range parts {
		switch _, dup := first[p.Name]; {
		case r.cached[p.Name]:
			out[i].Status = Cached
		case !dup:
			first[p.Name] = i
			todo = append(todo, i)
		}
	}
	r.mu.Unlock()
	if len(todo) > 0 {
		r.resolve(ctx, parts, todo, out)
	}
	for i, p := range parts {
		if j := first[p.Name]; j != i && out[i].Status != Cached {
			out[i] = out[j]
		}
	}
	return out
}

// resolve settles parts[todo] (distinct, not cached) through the ledger and Glue.
func (r *Registry) resolve(ctx context.Context, parts []Partition, todo []int, out []Outcome) {
	names := make([]string, len(todo))
	for k, i := range todo {
		names[k] = parts[i].Name
	}
	known, err := r.Ledger.Known(ctx, r.Table, names)
	if err != nil {
		for _, i := range todo {
			out[i].Err = err
		}
		return
	}
	var create []int
	for _, i := range todo {
		if known[parts[i].Name] {
			out[i].Status = InLedger
			r.remember(parts[i].Name)
		} else {
			create = append(create, i)
		}
	}
	if len(create) == 0 {
		return
	}
	batch := make([]Partition, len(create))
	for k, i := range create {
		batch[k] = parts[i]
	}
	for k, o := range r.Glue.Create(ctx, batch) {
		i := create[k]
		if o.Status == Failed {
			out[i] = o
			continue
		}
		if err := r.Ledger.Record(ctx, r.Table, parts[i]); err != nil {
			out[i].Err = fmt.Errorf("partition %s is in Glue (%s) but not in the ledger: %w", parts[i].Name, o.Status, err)
			continue
		}
		out[i] = o
		r.remember(parts[i].Name)
	}
}

func (r *Registry) remember(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cached == nil {
		r.cached = map[string]bool{}
	}
	r.cached[name] = true
}

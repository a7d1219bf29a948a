package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/catalog"
)

// memoryRegistry is the registry of a local run on the embedded defaults: it calls nothing
// and counts a partition as created the first time it sees it.
type memoryRegistry struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memoryRegistry) Ensure(_ context.Context, parts []catalog.Partition) []catalog.Outcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	out := make([]catalog.Outcome, len(parts))
	for i, p := range parts {
		out[i].Status = catalog.Cached
		if !m.seen[p.Name] {
			m.seen[p.Name] = true
			out[i].Status = catalog.Created
		}
	}
	return out
}

// printer prints each newly registered partition on a local run: a line of text, or with
// -json one object per line {database, table, values, location}.
type printer struct {
	W       io.Writer
	JSON    bool
	Table   catalog.Table
	Columns []string
}

// partitionLine is the -json output: values keep the table's column order.
type partitionLine struct {
	Database string        `json:"database"`
	Table    string        `json:"table"`
	Values   orderedValues `json:"values"`
	Location string        `json:"location"`
}

type orderedValues struct {
	columns, values []string
}

func (o orderedValues) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range o.columns {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c)
		v, _ := json.Marshal(o.values[i])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func (p *printer) Print(part catalog.Partition) {
	if !p.JSON {
		fmt.Fprintf(p.W, "registered partition %s %s at %s\n", p.Table, part.Name, part.Location)
		return
	}
	line, err := json.Marshal(partitionLine{
		Database: p.Table.Database, Table: p.Table.Name,
		Values: orderedValues{p.Columns, part.Values}, Location: part.Location,
	})
	if err != nil {
		fmt.Fprintf(p.W, "registered partition %s %s at %s (JSON: %v)\n", p.Table, part.Name, part.Location, err)
		return
	}
	fmt.Fprintf(p.W, "%s\n", line)
}

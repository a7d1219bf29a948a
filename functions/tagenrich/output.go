package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	json "github.com/goccy/go-json"

	samples "github.com/trailguard/trailguard/events"
	"github.com/trailguard/trailguard/shared/tags"
)

// embeddedTags is the default tags of a local run: events/tags.json as built into the binary,
// so the samples replay from any working directory.
func embeddedTags() (tags.Static, error) {
	var s tags.Static
	if err := json.Unmarshal(samples.Tags, &s); err != nil {
		return nil, fmt.Errorf("built-in tags (events/tags.json): %w", err)
	}
	return s, nil
}

// printer writes change records for people (one line each) or, with JSON, one object a line
// with the keys event_id, event_name, account, principal, resource, tags, error_code (and the
// record's other fields).
type printer struct {
	W    io.Writer
	JSON bool
	mu   sync.Mutex
}

func (p *printer) print(c Change) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.JSON {
		b, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("render change %s: %w", c.Key(), err)
		}
		_, err = fmt.Fprintf(p.W, "%s\n", b)
		return err
	}
	resource := c.Resource
	if resource == "" {
		resource = "(no resource)"
	}
	var notes []string
	if c.ErrorCode != "" {
		notes = append(notes, "error "+c.ErrorCode)
	}
	if c.TagsUnavailable {
		notes = append(notes, "tags unavailable")
	}
	note := ""
	if len(notes) > 0 {
		note = "  [" + strings.Join(notes, ", ") + "]"
	}
	_, err := fmt.Fprintf(p.W, "%s  %s  %s  %s  by %s  tags{%s} (%s)%s\n",
		c.Time, c.Account, c.EventName, resource, c.Principal, c.Tags, c.TagsSource, note)
	return err
}

// printingStore prints each change as it is stored: local mode shows what the table receives.
type printingStore struct {
	changeStore
	out *printer
}

// Put stores c and prints the stored record.
func (s *printingStore) Put(ctx context.Context, c Change) (Change, bool, error) {
	stored, fresh, err := s.changeStore.Put(ctx, c)
	if err != nil {
		return stored, fresh, err
	}
	return stored, fresh, s.out.print(stored)
}

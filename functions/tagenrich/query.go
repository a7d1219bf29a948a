package main

import (
	"context"
	"fmt"
	"time"

	"github.com/trailguard/trailguard/shared/changelog"
)

// querier answers the two questions of the change log (DynamoStore, MemoryStore).
type querier interface {
	ByTag(ctx context.Context, key, value string, from, to time.Time) ([]Change, error)
	ByPrincipal(ctx context.Context, principal string, from, to time.Time) ([]Change, error)
}

// query is a -query/-principal request: changes to resources tagged Tag (KEY=VALUE), or by
// Principal, or both (the tag's Query, narrowed to the principal), between From and To.
type query struct {
	Tag       string
	Principal string
	From, To  time.Time
}

// run answers q with one Query and prints the changes, newest first.
func (q query) run(ctx context.Context, db querier, out *printer) (int, error) {
	var changes []Change
	var err error
	if q.Tag != "" {
		k, v, ok := changelog.TagPair(q.Tag)
		if !ok {
			return 0, fmt.Errorf("-query %q: want KEY=VALUE, e.g. project=apollo", q.Tag)
		}
		changes, err = db.ByTag(ctx, k, v, q.From, q.To)
	} else {
		changes, err = db.ByPrincipal(ctx, q.Principal, q.From, q.To)
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range changes {
		if q.Principal != "" && c.Principal != q.Principal {
			continue
		}
		if err := out.print(c); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

package keylayout

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Lister lists the "directories" right under a key prefix: S3 ListObjectsV2 with
// Delimiter "/", all pages of CommonPrefixes, each a full prefix ending in '/'.
type Lister interface {
	Prefixes(ctx context.Context, prefix string) ([]string, error)
}

// Walk finds the partitions of the files under base (the prefix where the layout starts:
// a CloudTrail trail's prefix, "" for the bucket root) without listing the files: it lists
// only the levels holding placeholders and steps into literal segments directly, so a
// CloudTrail bucket costs one list per account, region, year and month, not one per file.
// Partitions dated before since (when not zero) are pruned as early as their year or month
// allows. fn is called once per partition, in lexical order.
func (l *Layout) Walk(ctx context.Context, lister Lister, base string, since time.Time, fn func(Partition) error) error {
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}
	w := walker{l: l, lister: lister, fn: fn, vals: make([]string, len(l.columns))}
	if !since.IsZero() {
		w.since = since.UTC().Format("2006010215")
	}
	return w.walk(ctx, 0, base, dates{})
}

type walker struct {
	l      *Layout
	lister Lister
	fn     func(Partition) error
	since  string // YYYYMMDDHH, or "" for no limit
	vals   []string
}

// walk descends into dir, where segment si begins.
func (w *walker) walk(ctx context.Context, si int, dir string, d dates) error {
	if si > w.l.last {
		return w.fn(Partition{Values: append([]string(nil), w.vals...), Dir: dir})
	}
	if seg := &w.l.segs[si]; seg.kind == literal {
		return w.walk(ctx, si+1, dir+seg.text+"/", d)
	}
	children, err := w.lister.Prefixes(ctx, dir)
	if err != nil {
		return fmt.Errorf("list %q: %w", dir, err)
	}
	for _, child := range children {
		if !strings.HasPrefix(child, dir) || !strings.HasSuffix(child, "/") {
			continue
		}
		if err := w.step(ctx, si, dir, child[len(dir):len(child)-1], d); err != nil {
			return err
		}
	}
	return nil
}

// step applies segment si to name, one listed directory of dir.
func (w *walker) step(ctx context.Context, si int, dir, name string, d dates) error {
	seg := &w.l.segs[si]
	switch seg.kind {
	case literal:
		if name == seg.text {
			return w.walk(ctx, si+1, dir+name+"/", d)
		}
	case optional:
		if seg.parts[0].valid(name) {
			if err := w.walk(ctx, si+1, dir+name+"/", d); err != nil {
				return err
			}
		}
		return w.step(ctx, si+1, dir, name, d)
	case capture:
		v, got, ok := seg.capture(name)
		if !ok {
			return nil
		}
		for i, s := range got {
			if s != "" {
				d[i] = s
			}
		}
		if w.before(d) {
			return nil
		}
		w.vals[seg.column] = v
		return w.walk(ctx, si+1, dir+name+"/", d)
	}
	return nil
}

// before reports whether every date the known leading parts allow is before since.
func (w *walker) before(d dates) bool {
	if w.since == "" {
		return false
	}
	var known string
	for p := year; p <= hour && d[p] != ""; p++ {
		known += d[p]
	}
	return known != "" && known < w.since[:len(known)]
}

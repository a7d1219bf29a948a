package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/objectevent"
)

// printer shows a local run's counters: with JSON one object per counter row and one summary
// line per file, else a table.
type printer struct {
	W    io.Writer
	JSON bool
	mu   sync.Mutex
}

// Print is a Handler.Report.
func (p *printer) Print(sum Summary, t *counters.Tally) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.JSON {
		enc := json.NewEncoder(p.W)
		for _, r := range t.Rows() {
			enc.Encode(r)
		}
		enc.Encode(sum)
		return
	}
	fmt.Fprintf(p.W, "── s3://%s/%s\n   %d records (%d malformed), %d bytes, %d counters: %d items written, %d already counted\n",
		sum.Bucket, sum.Key, sum.Records, sum.Malformed, sum.Bytes, sum.Counters, sum.Written, sum.Already)
	if sum.EmptyFiles > 0 {
		fmt.Fprintf(p.W, "   empty: no records\n")
	}
	if sum.DetectionSkipped > 0 {
		fmt.Fprintf(p.W, "   %d records not seen by the detection rules (see the log)\n", sum.DetectionSkipped)
	}
	rows := t.Rows()
	slices.SortStableFunc(rows, func(a, b counters.Row) int { return cmp.Compare(b.Count, a.Count) })
	for i, r := range rows {
		if i == maxRowsShown {
			fmt.Fprintf(p.W, "   … %d more counters (-json prints every one)\n", len(rows)-i)
			break
		}
		fmt.Fprintf(p.W, "   %5d  %s  %s  %s  from %s  %s  %s  %s  %s\n", r.Count, r.Hour, r.Account, dash(r.Principal), dash(r.SourceIP),
			r.EventName, dash(r.ResourceType), dash(r.ErrorCode), dash(r.EventType))
	}
}

// maxRowsShown bounds the counters the text output lists per file: the busiest.
const maxRowsShown = 8

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// aggregateFile is -file: count one log file on disk (.json.gz or plain), under the identity
// bucket "local", its absolute path and its MD5. Exit 0 when the file was read to its end,
// malformed records included; 1 when it could not be.
func aggregateFile(ctx context.Context, h *Handler, log *slog.Logger, path string, stderr io.Writer) int {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return localrun.ExitMalformed
	}
	defer f.Close()
	id := counters.FileID{Bucket: "local", Key: path}
	if id.ETag, err = fileMD5(f); err != nil {
		fmt.Fprintln(stderr, err)
		return localrun.ExitMalformed
	}
	if _, err := h.Aggregate(ctx, log.With("file", path), id, f); err != nil {
		fmt.Fprintln(stderr, err)
		return localrun.ExitMalformed
	}
	return localrun.ExitOK
}

// fsObjects reads log files from a read-only file tree standing in for the bucket (the
// embedded sample bucket): key k of any bucket is the file k.
type fsObjects struct {
	FS fs.FS
}

// Open opens the file of the object's key. Its identity's ETag is the event's, else the
// file's MD5 (S3's ETag of an object uploaded in one part).
func (o fsObjects) Open(_ context.Context, obj objectevent.Object) (io.ReadCloser, counters.FileID, error) {
	if !fs.ValidPath(obj.Key) {
		return nil, counters.FileID{}, fmt.Errorf("key %q leaves the bucket folder", obj.Key)
	}
	data, err := fs.ReadFile(o.FS, obj.Key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, counters.FileID{}, fmt.Errorf("%w: %v", errGone, err)
	} else if err != nil {
		return nil, counters.FileID{}, err
	}
	id := counters.FileID{Bucket: obj.Bucket, Key: obj.Key, ETag: strings.Trim(obj.ETag, `"`)}
	if id.ETag == "" {
		sum := md5.Sum(data)
		id.ETag = hex.EncodeToString(sum[:])
	}
	return io.NopCloser(bytes.NewReader(data)), id, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/objectevent"
)

// registry makes sure partitions are registered (catalog.Registry, or the local memory one).
type registry interface {
	Ensure(ctx context.Context, parts []catalog.Partition) []catalog.Outcome
}

// Handler registers the partitions of delivered log files. It is built once per container
// and used for every event.
type Handler struct {
	Layout   *keylayout.Layout
	Columns  []string // Layout.Columns()
	Bucket   string   // when set, objects of other buckets are skipped
	Table    catalog.Table
	Registry registry
	Report   func(catalog.Partition) // told of each partition newly created; may be nil
	Log      *slog.Logger
}

// Handle is the Lambda entry point for all three trigger shapes. For an SQS batch it
// answers the partial batch response (only the messages whose partitions failed, or whose
// body is malformed, return to the queue); for the other shapes any failure fails the
// invocation, so Lambda retries it and it ends in the dead-letter queue.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (*events.SQSEventResponse, error) {
	batch, err := objectevent.Decode(raw)
	if err != nil {
		h.Log.ErrorContext(ctx, "malformed event", "decision", "reject", "error", err.Error())
		return nil, err
	}
	parts, needs := h.partitions(ctx, batch)
	var outcomes []catalog.Outcome
	if len(parts) > 0 {
		outcomes = h.Registry.Ensure(ctx, parts)
	}
	var users [][]string
	for i, o := range outcomes {
		if h.Log.Enabled(ctx, outcomeLevel(o.Status)) {
			if users == nil {
				users = messageIDs(batch, needs, len(parts))
			}
			h.logOutcome(ctx, parts[i], o, "message_ids", users[i])
		}
		if o.Status == catalog.Created && h.Report != nil {
			h.Report(parts[i])
		}
	}

	var failedIDs []string
	var errs []error
	reported := map[int]bool{}
	for mi, m := range batch.Messages {
		failed := m.Err != nil
		if failed {
			errs = append(errs, m.Err)
		}
		for _, pi := range needs[mi] {
			if o := outcomes[pi]; o.Status == catalog.Failed {
				failed = true
				if !reported[pi] {
					reported[pi] = true
					errs = append(errs, o.Err)
				}
			}
		}
		if failed && batch.Shape == objectevent.ShapeSQS {
			failedIDs = append(failedIDs, m.ID)
		}
	}
	if batch.Shape == objectevent.ShapeSQS {
		if len(failedIDs) > 0 {
			h.Log.WarnContext(ctx, "batch item failures", "decision", "retry", "failed", len(failedIDs), "messages", len(batch.Messages))
		}
		resp := objectevent.PartialBatchResponse(failedIDs)
		return &resp, nil
	}
	return nil, errors.Join(errs...)
}

// partitions maps the batch's objects to distinct partitions, and says which partitions
// each message needs. Objects of one directory share a partition, so only the first of them
// builds it.
func (h *Handler) partitions(ctx context.Context, batch *objectevent.Batch) ([]catalog.Partition, [][]int) {
	type dir struct{ bucket, dir string }
	var parts []catalog.Partition
	byDir := map[dir]int{}
	byName := map[string]int{}
	needs := make([][]int, len(batch.Messages))
	for mi, m := range batch.Messages {
		if m.Err != nil {
			h.Log.ErrorContext(ctx, "malformed message", "decision", "reject", "message_id", m.ID, "error", m.Err.Error())
			continue
		}
		for _, reason := range m.Skipped {
			h.Log.InfoContext(ctx, "not an object created", "decision", "skip", "message_id", m.ID, "reason", reason)
		}
		for _, o := range m.Objects {
			kp, ok := h.match(ctx, m.ID, o)
			if !ok {
				continue
			}
			d := dir{o.Bucket, kp.Dir}
			i, seen := byDir[d]
			if !seen {
				p := catalog.NewPartition(h.Columns, kp.Values, "s3://"+o.Bucket+"/"+kp.Dir)
				if j, dup := byName[p.Name]; dup {
					h.Log.WarnContext(ctx, "partition values in two locations: set TRAIL_PREFIX", "decision", "first-wins",
						"partition", p.Name, "location", parts[j].Location, "other_location", p.Location)
					i = j
				} else {
					i = len(parts)
					byName[p.Name] = i
					parts = append(parts, p)
				}
				byDir[d] = i
			}
			needs[mi] = append(needs[mi], i)
		}
	}
	return parts, needs
}

// match is where one object belongs, or false (with a log line) when it has no partition.
func (h *Handler) match(ctx context.Context, messageID string, o objectevent.Object) (keylayout.Partition, bool) {
	reason := ""
	if h.Bucket != "" && o.Bucket != h.Bucket {
		reason = "bucket is not TRAIL_BUCKET " + h.Bucket
	} else if r, skip := objectevent.Skippable(o.Key); skip {
		reason = r
	} else if kp, ok := h.Layout.Match(o.Key); ok {
		return kp, true
	} else {
		reason = "key matches no layout: " + h.Layout.String()
	}
	h.Log.InfoContext(ctx, "object skipped", "decision", "skip", "message_id", messageID, "reason", reason, "bucket", o.Bucket, "key", o.Key)
	return keylayout.Partition{}, false
}

// outcomeLevel is the level of a partition's log line: known partitions are the common,
// uneventful case.
func outcomeLevel(st catalog.Status) slog.Level {
	switch st {
	case catalog.Failed:
		return slog.LevelError
	case catalog.Created, catalog.Existed:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

func (h *Handler) logOutcome(ctx context.Context, p catalog.Partition, o catalog.Outcome, extra ...any) {
	attrs := append([]any{"decision", o.Status.String(), "table", h.Table.String(), "partition", p.Name, "location", p.Location}, extra...)
	msg := "partition known"
	switch o.Status {
	case catalog.Failed:
		msg, attrs = "partition not registered", append(attrs, "error", o.Err.Error())
	case catalog.Created, catalog.Existed:
		msg = "partition registered"
	}
	h.Log.Log(ctx, outcomeLevel(o.Status), msg, attrs...)
}

// replay adapts Handle to a local replay: SQS batch item failures are a failure too.
func (h *Handler) replay(ctx context.Context, raw json.RawMessage) error {
	resp, err := h.Handle(ctx, raw)
	if err != nil {
		return err
	}
	if resp != nil && len(resp.BatchItemFailures) > 0 {
		ids := make([]string, len(resp.BatchItemFailures))
		for i, f := range resp.BatchItemFailures {
			ids[i] = f.ItemIdentifier
		}
		return fmt.Errorf("batchItemFailures: %q", ids)
	}
	return nil
}

// messageIDs lists, for each partition, the SQS messages that need it (none for the other
// shapes), for its log line.
func messageIDs(batch *objectevent.Batch, needs [][]int, n int) [][]string {
	ids := make([][]string, n)
	for i := range ids {
		ids[i] = []string{}
	}
	for mi, m := range batch.Messages {
		for _, pi := range needs[mi] {
			if m.ID != "" && (len(ids[pi]) == 0 || ids[pi][len(ids[pi])-1] != m.ID) {
				ids[pi] = append(ids[pi], m.ID)
			}
		}
	}
	return ids
}

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
	users := messageIDs(batch, needs, len(parts))
	for i, o := range outcomes {
		h.logOutcome(ctx, parts[i], o, "message_ids", users[i])
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
// each message needs.
func (h *Handler) partitions(ctx context.Context, batch *objectevent.Batch) ([]catalog.Partition, [][]int) {
	var parts []catalog.Partition
	index := map[string]int{}
	needs := make([][]int, len(batch.Messages))
	for mi, m := range batch.Messages {
		log := h.Log
		if m.ID != "" {
			log = log.With("message_id", m.ID)
		}
		if m.Err != nil {
			log.ErrorContext(ctx, "malformed message", "decision", "reject", "error", m.Err.Error())
			continue
		}
		for _, reason := range m.Skipped {
			log.InfoContext(ctx, "not an object created", "decision", "skip", "reason", reason)
		}
		for _, o := range m.Objects {
			p, ok := h.partition(ctx, log, o)
			if !ok {
				continue
			}
			i, seen := index[p.Name]
			switch {
			case !seen:
				i = len(parts)
				index[p.Name] = i
				parts = append(parts, p)
			case parts[i].Location != p.Location:
				log.WarnContext(ctx, "partition values in two locations: set TRAIL_PREFIX", "decision", "first-wins",
					"partition", p.Name, "location", parts[i].Location, "other_location", p.Location)
			}
			needs[mi] = append(needs[mi], i)
		}
	}
	return parts, needs
}

// partition is the partition of one object, or false (with a log line) when it has none.
func (h *Handler) partition(ctx context.Context, log *slog.Logger, o objectevent.Object) (catalog.Partition, bool) {
	skip := func(reason string) (catalog.Partition, bool) {
		log.InfoContext(ctx, "object skipped", "decision", "skip", "reason", reason, "bucket", o.Bucket, "key", o.Key)
		return catalog.Partition{}, false
	}
	if h.Bucket != "" && o.Bucket != h.Bucket {
		return skip("bucket is not TRAIL_BUCKET " + h.Bucket)
	}
	if reason, ok := objectevent.Skippable(o.Key); ok {
		return skip(reason)
	}
	kp, ok := h.Layout.Match(o.Key)
	if !ok {
		return skip("key matches no layout: " + h.Layout.String())
	}
	return catalog.NewPartition(h.Columns, kp.Values, "s3://"+o.Bucket+"/"+kp.Dir), true
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

func (h *Handler) logOutcome(ctx context.Context, p catalog.Partition, o catalog.Outcome, extra ...any) {
	attrs := append([]any{"decision", o.Status.String(), "table", h.Table.String(), "partition", p.Name, "location", p.Location}, extra...)
	switch o.Status {
	case catalog.Failed:
		h.Log.ErrorContext(ctx, "partition not registered", append(attrs, "error", o.Err.Error())...)
	case catalog.Created, catalog.Existed:
		h.Log.InfoContext(ctx, "partition registered", attrs...)
	default:
		h.Log.DebugContext(ctx, "partition known", attrs...)
	}
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

package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/objectevent"
)

// registry makes sure partitions are registered (catalog.Registry, or the local memory one).
type registry interface {
	Ensure(ctx context.Context, parts []catalog.Partition) []catalog.Outcome
}

// counter is the part of metrics.Counters the handler uses.
type counter interface {
	Add(name string, n int)
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
	Metrics  counter
}

// Handle is the Lambda entry point for all three trigger shapes. For an SQS batch it
// answers the partial batch response (only the messages whose partitions failed, or whose
// body is malformed, return to the queue); for the other shapes any failure fails the
// invocation, so Lambda retries it and it ends in the dead-letter queue.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (*events.SQSEventResponse, error) {
	log := logging.ForInvocation(ctx, h.Log)
	batch, err := objectevent.Decode(raw)
	if err != nil {
		h.Metrics.Add("MalformedEvents", 1)
		log.ErrorContext(ctx, "malformed event", "decision", "reject", "error", err.Error())
		return nil, err
	}
	parts, needs := h.partitions(ctx, log, batch)
	var outcomes []catalog.Outcome
	if len(parts) > 0 {
		outcomes = h.Registry.Ensure(ctx, parts)
	}
	var users [][]string
	for i, o := range outcomes {
		h.Metrics.Add("Partitions"+statusMetric(o.Status), 1)
		if log.Enabled(ctx, outcomeLevel(o.Status)) {
			if users == nil {
				users = messageIDs(batch, needs, len(parts))
			}
			logOutcome(ctx, log, h.Table, parts[i], o, "message_ids", users[i])
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
	if batch.Shape == objectevent.ShapeSQS && len(failedIDs) > 0 {
		h.Metrics.Add("BatchItemFailures", len(failedIDs))
	}
	return batch.Response(ctx, log, failedIDs, errs)
}

// partitions maps the batch's objects to distinct partitions, and says which partitions
// each message needs. Objects of one directory share a partition, so only the first of them
// builds it.
func (h *Handler) partitions(ctx context.Context, log *slog.Logger, batch *objectevent.Batch) ([]catalog.Partition, [][]int) {
	type dir struct{ bucket, dir string }
	var parts []catalog.Partition
	byDir := map[dir]int{}
	byName := map[string]int{}
	needs := make([][]int, len(batch.Messages))
	for mi, m := range batch.Messages {
		if m.Err != nil {
			h.Metrics.Add("MalformedMessages", 1)
			log.ErrorContext(ctx, "malformed message", "decision", "reject", "message_id", m.ID, "error", m.Err.Error())
			continue
		}
		for _, reason := range m.Skipped {
			log.InfoContext(ctx, "not an object created", "decision", "skip", "message_id", m.ID, "reason", reason)
		}
		h.Metrics.Add("Objects", len(m.Objects))
		for _, o := range m.Objects {
			kp, ok := h.match(ctx, log, m.ID, o)
			if !ok {
				continue
			}
			d := dir{o.Bucket, kp.Dir}
			i, seen := byDir[d]
			if !seen {
				p := catalog.NewPartition(h.Columns, kp.Values, "s3://"+o.Bucket+"/"+kp.Dir)
				if j, dup := byName[p.Name]; dup {
					log.WarnContext(ctx, "partition values in two locations: set TRAIL_PREFIX", "decision", "first-wins",
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
func (h *Handler) match(ctx context.Context, log *slog.Logger, messageID string, o objectevent.Object) (keylayout.Partition, bool) {
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
	h.Metrics.Add("ObjectsSkipped", 1)
	log.InfoContext(ctx, "object skipped", "decision", "skip", "message_id", messageID, "reason", reason, "bucket", o.Bucket, "key", o.Key)
	return keylayout.Partition{}, false
}

// statusMetric names a partition outcome's counter (Partitions<…>).
func statusMetric(st catalog.Status) string {
	switch st {
	case catalog.Failed:
		return "Failed"
	case catalog.Created:
		return "Created"
	case catalog.Existed:
		return "AlreadyExisted"
	}
	return "Known"
}

// outcomeLevel is the level of a partition's log line.
func outcomeLevel(st catalog.Status) slog.Level {
	if st == catalog.Failed {
		return slog.LevelError
	}
	return slog.LevelInfo
}

func logOutcome(ctx context.Context, log *slog.Logger, table catalog.Table, p catalog.Partition, o catalog.Outcome, extra ...any) {
	attrs := append([]any{"decision", o.Status.String(), "table", table.String(), "partition", p.Name, "location", p.Location}, extra...)
	msg := "partition known"
	switch o.Status {
	case catalog.Failed:
		msg, attrs = "partition not registered", append(attrs, "error", o.Err.Error())
	case catalog.Created, catalog.Existed:
		msg = "partition registered"
	}
	log.Log(ctx, outcomeLevel(o.Status), msg, attrs...)
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

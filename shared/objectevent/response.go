package objectevent

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// Response is a handler's answer for the batch, given the IDs of the messages that failed and
// their errors. For SQS it is the partial batch response naming the failed messages, logged
// when there are some; the invocation succeeds, so SQS deletes the others. For an event
// Lambda invoked directly it is the errors joined (nil when none), so Lambda retries the event
// and then dead-letters it.
func (b *Batch) Response(ctx context.Context, log *slog.Logger, failedIDs []string, errs []error) (*events.SQSEventResponse, error) {
	if b.Shape != ShapeSQS {
		return nil, errors.Join(errs...)
	}
	if len(failedIDs) > 0 {
		log.WarnContext(ctx, "batch item failures", "decision", "retry", "failed", len(failedIDs), "messages", len(b.Messages))
	}
	resp := PartialBatchResponse(failedIDs)
	return &resp, nil
}

// PartialBatchResponse is the answer to an SQS batch when the event source mapping reports
// batch item failures: only the failed messages return to the queue (and, after
// maxReceiveCount, to its dead-letter queue); the others are deleted. IDs keep their order;
// repeats are dropped. An empty list means the whole batch succeeded.
func PartialBatchResponse(failedIDs []string) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	seen := make(map[string]bool, len(failedIDs))
	for _, id := range failedIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return resp
}

package objectevent

import "github.com/aws/aws-lambda-go/events"

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

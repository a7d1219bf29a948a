package objectevent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

func TestPartialBatchResponse(t *testing.T) {
	tests := []struct {
		name   string
		failed []string
		want   string
	}{
		{"none failed", nil, `{"batchItemFailures":[]}`},
		{"some failed", []string{"m2", "m0"}, `{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m0"}]}`},
		{"repeats dropped", []string{"m1", "m1", "m3", "m1"}, `{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m3"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(PartialBatchResponse(tt.failed))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestResponse: an SQS batch answers with its failed messages and logs them, the invocation
// succeeding; a direct event answers with its failures, so that Lambda retries it.
func TestResponse(t *testing.T) {
	failure := errors.New("s3://b/k: read: unexpected EOF")
	tests := []struct {
		name    string
		shape   Shape
		failed  []string
		errs    []error
		wantIDs []string // nil: no SQS response
		wantErr error
		logged  bool
	}{
		{"sqs, some failed", ShapeSQS, []string{"m1"}, []error{failure}, []string{"m1"}, nil, true},
		{"sqs, none failed", ShapeSQS, nil, nil, []string{}, nil, false},
		{"direct, failed", ShapeEventBridge, nil, []error{failure}, nil, failure, false},
		{"direct, succeeded", ShapeEventBridge, nil, nil, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			b := &Batch{Shape: tt.shape, Messages: make([]Message, 3)}
			resp, err := b.Response(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), tt.failed, tt.errs)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			switch {
			case tt.wantIDs == nil && resp != nil:
				t.Errorf("response %+v, want none", resp)
			case tt.wantIDs != nil && resp == nil:
				t.Fatal("no response, want a partial batch response")
			case tt.wantIDs != nil:
				var ids []string
				for _, f := range resp.BatchItemFailures {
					ids = append(ids, f.ItemIdentifier)
				}
				if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
					t.Errorf("failed IDs %v, want %v", ids, tt.wantIDs)
				}
			}
			if got := strings.Contains(logs.String(), `"failed":1,"messages":3`); got != tt.logged {
				t.Errorf("logged %q, want a batch-item-failures line: %v", logs.String(), tt.logged)
			}
		})
	}
}

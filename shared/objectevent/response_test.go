package objectevent

import (
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

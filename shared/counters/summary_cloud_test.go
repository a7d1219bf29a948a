package counters

import "testing"

// TestSummarizeCloud: a summary carries its account's cloud (empty for AWS), so the god view
// can label and count accounts per cloud from summaries alone.
func TestSummarizeCloud(t *testing.T) {
	const hour = "2026-11-21T10"
	tests := []struct {
		name string
		rows []Row
		want string
	}{
		{"aws", []Row{{Key: Key{Hour: hour, Account: "111122223333", EventName: "GetObject"}, Count: 2}}, ""},
		{"huawei", []Row{{Key: Key{Hour: hour, Account: "0a1b2c3d", EventName: "login", Cloud: "huawei"}, Count: 1}}, "huawei"},
		{"mixed ids: the greatest name", []Row{
			{Key: Key{Hour: hour, Account: "100000000001", EventName: "RunInstances", Cloud: "tencent"}, Count: 1},
			{Key: Key{Hour: hour, Account: "100000000001", EventName: "GetObject"}, Count: 1},
		}, "tencent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, detail := range []bool{false, true} {
				sums := Summarize(tt.rows, detail)
				if len(sums) != 1 {
					t.Fatalf("detail %v: %d summaries, want 1", detail, len(sums))
				}
				if got := sums[0].Cloud; got != tt.want {
					t.Errorf("detail %v: cloud %q, want %q", detail, got, tt.want)
				}
			}
		})
	}
}

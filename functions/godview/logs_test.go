package main

import (
	"strings"
	"testing"
)

// TestLogRowsSampleBucket counts the aggregate samples' bucket (events/aggregate/data): the
// three readable files (us-east-1 08:05: 45 countable records of 46; eu-west-1 08:10: 33;
// the organization's ap-southeast-2 08:15: the rest of the 95), the truncated one left out whole
// and named.
func TestLogRowsSampleBucket(t *testing.T) {
	rows, files, skipped, err := LogRows("../../events/aggregate/data")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	perAccount := map[string]int64{}
	for _, r := range rows {
		total += r.Count
		perAccount[r.Account] += r.Count
		if r.Hour != "2026-11-20T08" {
			t.Errorf("row of hour %s, want 2026-11-20T08: %+v", r.Hour, r)
		}
	}
	if files != 3 || total != 95 {
		t.Errorf("%d files, %d records counted; want 3 files, 95 records", files, total)
	}
	if perAccount["444455556666"] == 0 || perAccount["111122223333"] == 0 {
		t.Errorf("per account %v: want both the management and the member account", perAccount)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "Tr4ncYh8Gf2Lm0Qs") {
		t.Errorf("skipped %q, want the truncated file", skipped)
	}
	if _, _, _, err := LogRows("testdata/no-such-dir"); err == nil {
		t.Error("a missing folder: no error")
	}
}

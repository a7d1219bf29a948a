package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/localstate"
)

// TestLocalStateDir runs the binary as a developer would, twice over each cloud's saved pages
// with one -state DIR: the first run alerts and counts; the second finds every event seen
// (no alert again, nothing counted twice); the database holds each cloud's counts and the
// write events' change records.
func TestLocalStateDir(t *testing.T) {
	bin := localtest.Build(t)
	dir := t.TempDir()
	env := []string{"ALERT_STATE_TABLE=", "CLOUDPOLL_TABLE=", "COUNTERS_TABLE=", "CHANGE_TABLE=", "KNOWN_TAGS_TABLE=", "ALERT_TOPIC_ARN=", "AWS_LAMBDA_RUNTIME_API="}
	for _, cloud := range []string{"huawei", "alibaba", "tencent"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "events", "cloudpoll", cloud, "*.json"))
		args := append([]string{"-json", "-state", dir, "-cloud", cloud, "-region", "cn-north-4"}, files...)
		for run := 1; run <= 2; run++ {
			res := localtest.Run(t, bin, args, env, "")
			if res.Exit != 0 {
				t.Fatalf("%s run %d: exit %d\n%s", cloud, run, res.Exit, res.Stderr)
			}
			alerts := strings.Count(res.Stdout, `"kind"`)
			switch {
			case run == 1 && alerts == 0:
				t.Errorf("%s: first run raised no alert", cloud)
			case run == 2 && alerts != 0:
				t.Errorf("%s: second run raised %d alerts again:\n%s", cloud, alerts, res.Stdout)
			}
		}
	}
	db, err := localstate.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts, err := localstate.NewCounters(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := counts.Rows(t.Context(), time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Cloud] += r.Count
	}
	if want := map[string]int64{"huawei": 6, "alibaba": 6, "tencent": 8}; got["huawei"] != want["huawei"] || got["alibaba"] != want["alibaba"] || got["tencent"] != want["tencent"] {
		t.Errorf("counted %v, want %v", got, want)
	}
	changes, err := localstate.NewChanges(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	all, err := changes.Between(t.Context(), time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 {
		t.Errorf("%d change records, want 6 (2 per cloud)", len(all))
	}
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/godview"
)

func rows() []counters.Row {
	k := func(hour, account, principal, ip string, n int64) counters.Row {
		return counters.Row{Key: counters.Key{Hour: hour, Account: account, Principal: principal, SourceIP: ip, EventName: "ListBuckets"}, Count: n}
	}
	return []counters.Row{
		k("2026-03-10T10", "111111111111", "alice", "198.51.100.1", 10),
		k("2026-03-10T12", "111111111111", "alice", "192.0.2.77", 50),
		k("2026-03-10T14", "111111111111", "alice", "192.0.2.99", 999), // after the range
		{Key: counters.Key{Hour: "2026-03-10T11", Account: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", Principal: "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
			SourceIP: "203.0.113.66", EventName: "login", Cloud: "huawei"}, Count: 7}, // a Huawei Cloud sign-in, as cloudpoll counts it
	}
}

func TestHandleWidgetRequest(t *testing.T) {
	raw, err := os.ReadFile("testdata/widget-request.json")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Source: &godview.Memory{Rows: rows()}}
	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		want   []string
		reject []string
		err    bool
	}{
		{"heatmap as sent", nil, []string{`data-panel="heatmap"`, "width:588px;height:369px", ">10:00<", ">13:00<", "50 calls"}, []string{"999"}, false},
		{"dark, Paris time", func(r map[string]any) {
			wc := r["widgetContext"].(map[string]any)
			wc["theme"] = "dark"
			wc["timezone"] = map[string]any{"label": "Local", "offsetISO": "+01:00", "offsetInMinutes": 60}
		}, []string{"#2a2e33", ">11:00<", ">14:00<"}, nil, false},
		{"zoomed to 12:00-13:00", func(r map[string]any) {
			r["panel"] = "kpis"
			wc := r["widgetContext"].(map[string]any)
			wc["timeRange"].(map[string]any)["zoom"] = map[string]any{"start": 1773144000000, "end": 1773147600000}
		}, []string{`data-kpi="events"`, ">50<"}, nil, false},
		{"every cloud, labelled", func(r map[string]any) { r["panel"] = "kpis" }, []string{`data-cloud="aws"`, `data-cloud="huawei"`, ">67<"}, nil, false},
		{"cloud=huawei", func(r map[string]any) { r["cloud"] = "huawei" }, []string{"huawei · 0a1b2c…</text>", "7 calls"}, []string{"111111111111"}, false},
		{"cloud=aws", func(r map[string]any) { r["panel"] = "activity"; r["cloud"] = "aws" }, []string{"111111111111"}, []string{"huawei"}, false},
		{"describe", func(r map[string]any) { r["describe"] = true }, []string{"panel", "cloud"}, nil, false},
		{"unknown cloud", func(r map[string]any) { r["cloud"] = "azure" }, nil, nil, true},
		{"unknown panel", func(r map[string]any) { r["panel"] = "nope" }, nil, nil, true},
		{"bad tag", func(r map[string]any) { r["panel"] = "changes"; r["tag"] = "apollo" }, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req map[string]any
			_ = json.Unmarshal(raw, &req)
			if tc.edit != nil {
				tc.edit(req)
			}
			body, _ := json.Marshal(req)
			out, err := h.Handle(context.Background(), body)
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%q missing from %.300s", w, out)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(out, r) {
					t.Errorf("%q in the output", r)
				}
			}
		})
	}
}

func TestHandleNoTimeRangeIsLastDay(t *testing.T) {
	now := time.Date(2026, 3, 11, 9, 30, 0, 0, time.UTC)
	h := &Handler{Now: func() time.Time { return now }}
	r := h.rangeOf(WidgetContext{})
	if !r.From.Equal(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)) || !r.To.Equal(time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("range %v, want the 24 hours to now, in whole hours", r)
	}
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/godview"
	"github.com/trailguard/trailguard/shared/testenv"
)

// deployedSource writes a fixture (browserSource, cloudSource) the way the deployed functions
// do, into dynalite tables created from template.yaml: the counters through counters.Table
// (Apply of one file's tally for the AWS rows and one per other cloud's rows, as cloudpoll
// counts them, then Flush of the settled hours), the changes through changelog.DynamoStore
// and the alerts through alert.DynamoHistory; and returns the Tables source lambdaHandler
// wires (ACCOUNTS: the AWS accounts).
func deployedSource(t *testing.T, mem *godview.Memory) (*godview.Tables, *queryCounter) {
	t.Helper()
	ctx := context.Background()
	db := testenv.DynamoDB(t)
	queries := &queryCounter{DynamoDB: db}
	now := func() time.Time { return time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC) } // after the range settled
	ct := &counters.Table{Client: db, Name: testenv.CreateTable(t, db, "CountersTable"), Now: now}
	tallies := map[string]*counters.Tally{}
	for _, r := range mem.Rows {
		tally := tallies[r.Cloud]
		if tally == nil {
			tally = counters.NewTally()
			tallies[r.Cloud] = tally
		}
		for range r.Count {
			tally.Add(&r.Key)
		}
	}
	for cloud, tally := range tallies {
		file := counters.FileID{Bucket: "trail", Key: "AWSLogs/o-1/111111111111/CloudTrail/us-east-1/2026/03/10/f.json.gz", ETag: `"e1"`}
		if cloud != "" {
			file = counters.FileID{Bucket: "cloudpoll#", Key: cloud + "#ev-1"}
		}
		for range 2 { // a redelivered file counts once
			if _, err := ct.Apply(ctx, file, tally); err != nil {
				t.Fatal(err)
			}
		}
	}
	if f, err := ct.Flush(ctx); err != nil || f.Groups == 0 {
		t.Fatalf("flush: %+v, %v", f, err)
	}
	cl := &changelog.DynamoStore{Client: db, Table: testenv.CreateTable(t, db, "TagChangeTable"),
		IndexKeys: []string{"project"}, Retain: 90 * 24 * time.Hour, Now: now}
	for _, c := range mem.ChangeLog.All() {
		if _, _, err := cl.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	h := &alert.DynamoHistory{Client: db, Table: testenv.CreateTable(t, db, "AlertStateTable")}
	sent, _ := mem.History.Recent(ctx, time.Time{}, now(), 0)
	if err := h.Record(ctx, sent); err != nil {
		t.Fatal(err)
	}
	reader := *ct
	reader.Client = queries
	return &godview.Tables{Counters: &reader, Accounts: []string{bA, bB}, History: h, ChangeLog: cl}, queries
}

// queryCounter counts the Queries of the god view's reads of the counters table.
type queryCounter struct {
	counters.DynamoDB
	n atomic.Int64
}

func (q *queryCounter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	q.n.Add(1)
	return q.DynamoDB.Query(ctx, in, opts...)
}

// TestHandleAgainstTables: the custom-widget handler answers the request CloudWatch sends
// (testdata/widget-request.json: 10:00-14:00 UTC, 588×369, light) for every panel from the
// DynamoDB tables (the hour summaries the merge wrote), with the same page the in-memory
// source gives, reading the counters table once for the nine widgets.
func TestHandleAgainstTables(t *testing.T) {
	raw, err := os.ReadFile("testdata/widget-request.json")
	if err != nil {
		t.Fatal(err)
	}
	src, queries := deployedSource(t, browserSource())
	deployed := &Handler{Source: src, Options: godview.Options{Accounts: []string{bA, bB}}}
	local := &Handler{Source: browserSource(), Options: godview.Options{Accounts: []string{bA, bB}}}
	want := map[godview.Panel][]string{
		godview.PanelKPIs:       {`data-kpi="events"`, ">110<", ">9.1%<"},
		godview.PanelActivity:   {">10:00<", ">13:00<", ">50<", bA, bB},
		godview.PanelHeatmap:    {"222222222222 13:00: 30 calls", `class="tg-newregion"`, "ap-southeast-2 30; new region: ap-southeast-2<"},
		godview.PanelPrincipals: {bAlice, bCarol},
		godview.PanelSources:    {"192.0.2.77", "tg-new"},
		godview.PanelEvents:     {"DeleteBucket", "DescribeInstances"},
		godview.PanelErrors:     {"AccessDenied"},
		godview.PanelAlerts:     {"root-sign-in", "03-10 11:31", "unauthorized-api-call"},
		godview.PanelChanges:    {"apollo-logs", "PutBucketPolicy", "project=apollo"},
	}
	for _, p := range godview.Panels {
		t.Run(string(p), func(t *testing.T) {
			var req map[string]any
			if err := json.Unmarshal(raw, &req); err != nil {
				t.Fatal(err)
			}
			req["panel"] = string(p)
			req["tag"] = "project=apollo"
			body, _ := json.Marshal(req)
			got, err := deployed.Handle(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range want[p] {
				if !strings.Contains(got, w) {
					t.Errorf("%q missing from %.400s", w, got)
				}
			}
			same, err := local.Handle(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			if got != same {
				t.Errorf("the tables' %s panel differs from memory's:\n%s\n%s", p, got, same)
			}
		})
	}
	// The nine widgets of the refresh read the counters once: one Query per hour of the window.
	w := godview.Window(godview.Range{From: time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)})
	if got, want := queries.n.Load(), int64(w.To.Sub(w.From)/time.Hour); got != want {
		t.Errorf("%d Queries of the counters table for %d widgets, want %d: one per hour of the window", got, len(godview.Panels), want)
	}
	// Without a tag the change table cannot list changes: the panel says how to set one.
	var req map[string]any
	_ = json.Unmarshal(raw, &req)
	req["panel"] = "changes"
	body, _ := json.Marshal(req)
	got, err := deployed.Handle(context.Background(), body)
	if err != nil || !strings.Contains(got, "tag") {
		t.Errorf("changes without a tag: %v, %.200s", err, got)
	}
}

// TestHandleCloudsAgainstTables: accounts of other clouds counted as cloudpoll counts them
// show from the DynamoDB tables (the hour summaries carry their cloud) labelled with it, the
// overview gives the events per cloud, and the cloud param keeps one cloud's accounts: the
// same panels as the in-memory source's, though ACCOUNTS lists the AWS accounts only.
func TestHandleCloudsAgainstTables(t *testing.T) {
	raw, err := os.ReadFile("testdata/widget-request.json")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := deployedSource(t, cloudSource())
	deployed := &Handler{Source: src, Options: godview.Options{Accounts: []string{bA, bB}}}
	local := &Handler{Source: cloudSource(), Options: godview.Options{Accounts: []string{bA, bB}}}
	for _, tc := range []struct {
		panel, cloud string
		want, reject []string
	}{
		{"kpis", "", []string{`data-cloud="aws"`, `data-cloud="huawei"`, `data-cloud="alibaba"`, `data-cloud="tencent"`, ">121<"}, nil},
		{"heatmap", "", []string{"huawei · 0a1b2c…</text>", "alibaba · 123456…</text>", "tencent · 100012345678</text>", ">" + bA + "<"}, nil},
		{"activity", "", []string{"> huawei · 0a1b2c…</span>", `+1</span>`, `title="tencent · 100012345678"`}, nil}, // 588 px: the last band's label in "+1"'s tooltip
		{"principals", "", []string{">huawei · " + cHwUser + "<", ">tencent · " + cTcUser + "<"}, nil},
		{"sources", "", []string{`>huawei alibaba</span>`, `>tencent</span>`}, nil},
		{"kpis", "huawei", []string{"cloud huawei:", `data-cloud="huawei"`, ">4<"}, []string{`data-cloud="aws"`}},
		{"heatmap", "tencent", []string{"tencent · 100012345678</text>"}, []string{bA, "huawei"}},
		{"heatmap", "aws", []string{">" + bA + "<"}, []string{"huawei", "tencent", "alibaba"}},
	} {
		t.Run(tc.panel+"/"+tc.cloud, func(t *testing.T) {
			var req map[string]any
			if err := json.Unmarshal(raw, &req); err != nil {
				t.Fatal(err)
			}
			req["panel"], req["cloud"] = tc.panel, tc.cloud
			body, _ := json.Marshal(req)
			got, err := deployed.Handle(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q missing from %s", w, got)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(got, r) {
					t.Errorf("%q in %s", r, got)
				}
			}
			same, err := local.Handle(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			if got != same {
				t.Errorf("the tables' %s panel differs from memory's:\n%s\n%s", tc.panel, got, same)
			}
		})
	}
}

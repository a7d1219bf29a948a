package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/objectevent"
	"github.com/trailguard/trailguard/shared/trail"
)

// kindIDs are alerts as "kind eventID" lines.
func kindIDs(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Kind+" "+a.EventID)
	}
	return out
}

type noMetrics struct{}

func (noMetrics) Add(string, int) {}

// reports collects the summaries a handler reports.
type reports struct {
	mu   sync.Mutex
	sums []Summary
	rows map[string][]counters.Row // by key
}

func (r *reports) report(s Summary, t *counters.Tally) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sums = append(r.sums, s)
	if r.rows == nil {
		r.rows = map[string][]counters.Row{}
	}
	r.rows[s.Key] = t.Rows()
}

func newHandler(t *testing.T) (*Handler, *alerttest.Recorder, *reports) {
	t.Helper()
	pub, rep := &alerttest.Recorder{}, &reports{}
	h := &Handler{
		Objects: dirObjects{Dir: sampleDir},
		Store:   &counters.Memory{},
		Alerts:  pub,
		Rules:   Rules{FailedSignIns: 5, AccessDenied: 20, DeniedCodes: map[string]bool{"AccessDenied": true, "UnauthorizedOperation": true, "Client.UnauthorizedOperation": true}},
		Layout:  keylayout.CloudTrail(),
		Report:  rep.report,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: noMetrics{},
	}
	return h, pub, rep
}

// TestSampleEvents replays the samples in order, as one warm container would see them.
func TestSampleEvents(t *testing.T) {
	h, pub, rep := newHandler(t)
	ctx := context.Background()
	type want struct {
		files   int // summaries reported
		written int // items written by the last file
		already int
		alerts  []string
		err     string
	}
	steps := []struct {
		event string
		want  want
	}{
		{"digest-file.json", want{}},
		{"eventbridge-object-created.json", want{files: 1, written: 50}}, // 36 counters (split by region), 14 rule counters
		{"eventbridge-object-created.redelivered.json", want{files: 2, already: 50}},
		{"s3-notification.json", want{files: 3, written: 42, alerts: []string{
			"access-denied 2026-11-20T08#arn:aws:sts::111122223333:assumed-role/deploy-pipeline/codebuild-7",
			"failed-sign-ins 2026-11-20T08#203.0.113.66"}}},
		{"sqs-s3-notification.json", want{files: 5, already: 50}}, // the org trail's file, then the first one again
		{"malformed-missing-key.json", want{files: 5, err: "detail.object.key"}},
		{"malformed-truncated-log-file.json", want{files: 5, err: "unexpected EOF"}},
	}
	for _, s := range steps {
		before := len(pub.Alerts())
		resp, err := h.Handle(ctx, localtest.Event(t, "aggregate", s.event))
		if s.want.err != "" {
			if err == nil || !strings.Contains(err.Error(), s.want.err) {
				t.Fatalf("%s: error %v, want one naming %s", s.event, err, s.want.err)
			}
			if malformedEvent := errors.Is(err, trail.ErrMalformed); malformedEvent != (s.event == "malformed-missing-key.json") {
				t.Errorf("%s: errors.Is(err, trail.ErrMalformed) = %v", s.event, malformedEvent)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.event, err)
		}
		if resp != nil && len(resp.BatchItemFailures) > 0 {
			t.Errorf("%s: batch item failures %v", s.event, resp.BatchItemFailures)
		}
		if len(rep.sums) != s.want.files {
			t.Fatalf("%s: %d files counted in all, want %d", s.event, len(rep.sums), s.want.files)
		}
		if s.want.files > 0 {
			last := rep.sums[len(rep.sums)-1]
			if last.Written != s.want.written || last.Already != s.want.already {
				t.Errorf("%s: written %d already %d, want %d %d", s.event, last.Written, last.Already, s.want.written, s.want.already)
			}
		}
		if got := strings.Join(kindIDs(pub.Alerts()[before:]), "\n"); got != strings.Join(s.want.alerts, "\n") {
			t.Errorf("%s: alerts\n%s\nwant\n%s", s.event, got, strings.Join(s.want.alerts, "\n"))
		}
	}
	// The org trail's file of the SQS batch: 17 records, alice's 2 failed sign-ins counted.
	org := rep.sums[3]
	if org.Records != 17 || org.Malformed != 0 || !strings.Contains(org.Key, "o-aa111bb222/444455556666") {
		t.Errorf("org trail file summary %+v", org)
	}
}

// TestPlantedCounts: the sample files' planted activity is counted exactly, the malformed
// record skipped and counted.
func TestPlantedCounts(t *testing.T) {
	h, _, rep := newHandler(t)
	if _, err := h.Handle(context.Background(), localtest.Event(t, "aggregate", "eventbridge-object-created.json")); err != nil {
		t.Fatal(err)
	}
	sum := rep.sums[0]
	if sum.Records != 46 || sum.Malformed != 1 || sum.Bytes != 7926 {
		t.Errorf("summary %+v, want 46 records, 1 malformed, 7926 bytes", sum)
	}
	var total int64
	found := map[string]int64{}
	for _, r := range rep.rows[sum.Key] {
		total += r.Count
		found[r.Principal+" "+r.SourceIP+" "+r.EventName+" "+r.ErrorCode] += r.Count // over regions
	}
	if total != 45 {
		t.Errorf("counts add up to %d, want 45 (46 records, 1 malformed)", total)
	}
	for k, n := range map[string]int64{
		"arn:aws:sts::111122223333:assumed-role/deploy-pipeline/codebuild-7 198.51.100.23 CreateUser AccessDenied": 12,
		"arn:aws:iam::111122223333:user/alice 203.0.113.66 ConsoleLogin ":                                          3,
	} {
		if found[k] != n {
			t.Errorf("counter %q = %d, want %d", k, found[k], n)
		}
	}
}

// TestThresholdOncePerCrossing: the failed-sign-in counter of 203.0.113.66 goes 3 → 6 → 8,
// the CI role's access-denied counter 12 → 22. Only the file that crosses a threshold raises
// its alert; a redelivery of that file raises it again (same event ID) and the alert layer
// sends it once; a switched-off rule never alerts.
func TestThresholdOncePerCrossing(t *testing.T) {
	events := []string{"eventbridge-object-created.json", "s3-notification.json", "sqs-s3-notification.json",
		"eventbridge-object-created.redelivered.json", "s3-notification.json"}
	for _, tc := range []struct {
		name         string
		failed, deny int
		raisedBy     []string // per event, the kinds raised by the handler
		sent         []string // what reached the publisher through the alert layer
	}{
		{"both on", 5, 20, []string{"", "access-denied failed-sign-ins", "", "", "access-denied failed-sign-ins"}, []string{"access-denied", "failed-sign-ins"}},
		{"failed sign-ins off", 0, 20, []string{"", "access-denied", "", "", "access-denied"}, []string{"access-denied"}},
		{"both off", 0, 0, []string{"", "", "", "", ""}, nil},
		{"crossed by the first file", 3, 12, []string{"access-denied failed-sign-ins", "", "access-denied failed-sign-ins", "access-denied failed-sign-ins", ""}, []string{"access-denied", "failed-sign-ins"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, raised, _ := newHandler(t)
			h.Rules.FailedSignIns, h.Rules.AccessDenied = tc.failed, tc.deny
			sent := &alerttest.Recorder{}
			sender := &alert.Sender{Ledger: &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
				Publisher: sent, Log: h.Log}
			h.Alerts = tee{raised, sender}
			for i, ev := range events {
				before := len(raised.Kinds())
				if _, err := h.Handle(context.Background(), localtest.Event(t, "aggregate", ev)); err != nil {
					t.Fatal(err)
				}
				kinds := raised.Kinds()[before:]
				if got := strings.Join(kinds, " "); got != tc.raisedBy[i] {
					t.Errorf("%s raised %q, want %q", ev, got, tc.raisedBy[i])
				}
			}
			if kinds := sent.Kinds(); strings.Join(kinds, " ") != strings.Join(tc.sent, " ") {
				t.Errorf("sent %v, want %v", kinds, tc.sent)
			}
		})
	}
}

// tee publishes to a recorder and then to the alert layer.
type tee struct {
	raised *alerttest.Recorder
	next   publisher
}

func (t tee) Publish(ctx context.Context, alerts []alert.Alert) error {
	t.raised.Publish(ctx, alerts)
	return t.next.Publish(ctx, alerts)
}

// TestPublishFailureIsRetried: a failed publish fails the invocation; the retry finds the
// counts applied (nothing counted twice) and raises the same alerts again, with the same
// event IDs, for the alert layer to send once.
func TestPublishFailureIsRetried(t *testing.T) {
	h, pub, rep := newHandler(t)
	ctx := context.Background()
	if _, err := h.Handle(ctx, localtest.Event(t, "aggregate", "eventbridge-object-created.json")); err != nil {
		t.Fatal(err)
	}
	pub.Err = errors.New("sns: throttled")
	if _, err := h.Handle(ctx, localtest.Event(t, "aggregate", "s3-notification.json")); err == nil || !strings.Contains(err.Error(), "sns: throttled") {
		t.Fatalf("error %v, want the publish error", err)
	}
	pub.Err = nil
	if _, err := h.Handle(ctx, localtest.Event(t, "aggregate", "s3-notification.json")); err != nil {
		t.Fatal(err)
	}
	if got := kindIDs(pub.Alerts()); len(got) != 2 || !strings.HasPrefix(got[0], "access-denied 2026-11-20T08#") || got[1] != "failed-sign-ins 2026-11-20T08#203.0.113.66" {
		t.Errorf("alerts after the retry %v", got)
	}
	last := rep.sums[len(rep.sums)-1]
	if last.Written != 0 || last.Already != 42 {
		t.Errorf("retry wrote %d items (already %d), want 0 (42)", last.Written, last.Already)
	}
}

// TestSQSReportsOnlyFailedMessages: a batch with a good file, a truncated one and a malformed
// body returns only the two failing messages.
func TestSQSReportsOnlyFailedMessages(t *testing.T) {
	h, _, rep := newHandler(t)
	var batch struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(localtest.Event(t, "aggregate", "sqs-s3-notification.json"), &batch); err != nil {
		t.Fatal(err)
	}
	good := batch.Records[1]
	truncated := clone(t, good)
	truncated["messageId"] = "truncated-1"
	truncated["body"] = strings.ReplaceAll(good["body"].(string), "444455556666_CloudTrail_ap-southeast-2_20261120T0815Z_Zt8nB3mQy6Rk1LwD", "nothing-here")
	truncated["body"] = strings.Replace(truncated["body"].(string), "o-aa111bb222/444455556666/CloudTrail/ap-southeast-2", "111122223333/CloudTrail/us-east-1", 1)
	truncated["body"] = strings.Replace(truncated["body"].(string), "nothing-here", "111122223333_CloudTrail_us-east-1_20261120T0820Z_Tr4ncYh8Gf2Lm0Qs", 1)
	malformed := clone(t, good)
	malformed["messageId"] = "malformed-1"
	malformed["body"] = `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{}}}]}`
	batch.Records = []map[string]any{good, truncated, malformed}
	raw, _ := json.Marshal(batch)
	resp, err := h.Handle(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if strings.Join(ids, ",") != "truncated-1,malformed-1" {
		t.Errorf("batch item failures %v, want truncated-1,malformed-1", ids)
	}
	if len(rep.sums) != 1 {
		t.Errorf("%d files counted, want the good one", len(rep.sums))
	}
}

func clone(t *testing.T, m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestObjectsSkipped: other buckets, keys outside the layout or the prefix, digests.
func TestObjectsSkipped(t *testing.T) {
	const logKey = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0805Z_Kq3dZ8rW1xYb7TmN.json.gz"
	tests := []struct {
		name, bucket, key, prefix string
		counted                   bool
	}{
		{"the trail's log file", "trail", logKey, "", true},
		{"another bucket", "other", logKey, "", false},
		{"VPC flow logs under AWSLogs", "trail", "AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/20/f.log.gz", "", false},
		{"insights file", "trail", "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/20/f.json.gz", "", false},
		{"outside the prefix", "trail", logKey, "audit", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, rep := newHandler(t)
			h.Bucket, h.Layout = "trail", keylayout.CloudTrail().WithPrefix(tt.prefix)
			err := h.object(context.Background(), h.Log, objectevent.Object{Bucket: tt.bucket, Key: tt.key})
			if err != nil {
				t.Fatal(err)
			}
			if counted := len(rep.sums) == 1; counted != tt.counted {
				t.Errorf("counted %v, want %v", counted, tt.counted)
			}
		})
	}
}

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::111122223333:assumed-role/deploy-pipeline/codebuild-7": "deploy-pipeline/codebuild-7",
		"arn:aws:iam::111122223333:user/team/alice":                          "alice",
		"arn:aws:iam::111122223333:root":                                     "root",
		"AIDACKCEVSQ6C2EXAMPLE":                                              "AIDACKCEVSQ6C2EXAMPLE",
	} {
		if got := displayName(in); got != want {
			t.Errorf("displayName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTruncatedFileCountsNothing: a gzipped file cut off after most of its records fails the
// read, applies no counter at all (not even those of the records before the cut), and its
// summary says how far the read got.
func TestTruncatedFileCountsNothing(t *testing.T) {
	records, _ := plannedFile(11, 3000, 0)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(append(append([]byte(`{"Records":[`), bytes.Join(records, []byte(","))...), "]}"...))
	zw.Close()
	cut := gz.Bytes()[:gz.Len()*4/5]

	h, _, _ := newHandler(t)
	store := &applyCounter{store: h.Store}
	h.Store = store
	sum, err := h.Aggregate(context.Background(), h.Log, counters.FileID{Bucket: "b", Key: "k", ETag: "e"}, bytes.NewReader(cut))
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("error %v, want the read to fail with unexpected EOF", err)
	}
	if sum.Records == 0 || sum.Records >= 3000 || sum.Bytes != int64(len(cut)) {
		t.Errorf("summary %+v: want the records read before the cut (0 < n < 3000) and all %d bytes", sum, len(cut))
	}
	if store.applied != 0 {
		t.Errorf("counters applied %d times, want never", store.applied)
	}
}

// applyCounter counts the tallies applied through it.
type applyCounter struct {
	store
	applied int
}

func (a *applyCounter) Apply(ctx context.Context, file counters.FileID, t *counters.Tally) (counters.Applied, error) {
	a.applied++
	return a.store.Apply(ctx, file, t)
}

// partsStore records the tallies applied to a Memory store: how many distinct counters each
// held, and the counts they add up to.
type partsStore struct {
	counters.Memory
	largest int
	parts   []int
	sums    map[counters.Key]int64
}

func (p *partsStore) Apply(ctx context.Context, file counters.FileID, t *counters.Tally) (counters.Applied, error) {
	p.largest = max(p.largest, t.Len())
	p.parts = append(p.parts, file.Part)
	a, err := p.Memory.Apply(ctx, file, t)
	if a.Written > 0 {
		for _, r := range t.Rows() {
			p.sums[r.Key] += r.Count
		}
	}
	return a, err
}

// TestMemoryCeiling: a file with more distinct counters than the handler's budget is applied
// in parts, none larger than the budget, with exact counts; delivered again, no part counts
// twice.
func TestMemoryCeiling(t *testing.T) {
	recs, plan := plannedFile(5, 6_000, 0)
	file := []byte(`{"Records":[` + string(bytes.Join(recs, []byte(","))) + `]}`)
	h, _, _ := newHandler(t)
	store := &partsStore{sums: map[counters.Key]int64{}}
	h.Store, h.MaxCounters = store, 20
	if len(plan) <= 3*h.MaxCounters {
		t.Fatalf("test setup: %d counters, want several budgets' worth", len(plan))
	}
	id := counters.FileID{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/big.json.gz", ETag: "e"}
	sum, err := h.Aggregate(context.Background(), h.Log, id, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if store.largest > h.MaxCounters || sum.Parts != len(store.parts) || sum.Parts < len(plan)/h.MaxCounters {
		t.Errorf("largest part %d counters (budget %d), %d parts (summary %d)", store.largest, h.MaxCounters, len(store.parts), sum.Parts)
	}
	for i, p := range store.parts {
		if p != i {
			t.Fatalf("parts numbered %v", store.parts)
		}
	}
	if len(store.sums) != len(plan) {
		t.Errorf("%d counters, want %d", len(store.sums), len(plan))
	}
	for k, n := range plan {
		if store.sums[k] != n {
			t.Errorf("%+v = %d, want %d", k, store.sums[k], n)
		}
	}
	again, err := h.Aggregate(context.Background(), h.Log, id, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if again.Written != 0 || again.Parts != sum.Parts {
		t.Errorf("redelivery %+v: want the same parts, none written", again)
	}
}

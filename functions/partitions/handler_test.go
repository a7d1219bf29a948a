package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/trail"
)

const (
	trailBucket = "aws-cloudtrail-logs-111122223333-3f2a1b9c"
	us14        = "account=111122223333/region=us-east-1/year=2024/month=05/day=14"
	org14       = "account=444455556666/region=eu-west-1/year=2024/month=05/day=14"
	ap14        = "account=111122223333/region=ap-southeast-2/year=2024/month=05/day=14"
	eu3         = "account=111122223333/region=eu-west-3/year=2024/month=05/day=14"
)

// scriptedRegistry creates every partition except those it is told to fail, and records
// what it was asked.
type scriptedRegistry struct {
	fail  map[string]bool
	calls [][]string
}

func (r *scriptedRegistry) Ensure(_ context.Context, parts []catalog.Partition) []catalog.Outcome {
	var names []string
	out := make([]catalog.Outcome, len(parts))
	for i, p := range parts {
		names = append(names, p.Name)
		if r.fail[p.Name] {
			out[i] = catalog.Outcome{Status: catalog.Failed, Err: fmt.Errorf("create partition %s: InternalServiceException", p.Name)}
		} else {
			out[i].Status = catalog.Created
		}
	}
	r.calls = append(r.calls, names)
	return out
}

// newHandler builds a handler on the CloudTrail layout that reports created partitions'
// names into *created and logs into logs.
func newHandler(reg registry, created *[]string, logs *bytes.Buffer) *Handler {
	layout := keylayout.CloudTrail()
	return &Handler{
		Layout:   layout,
		Columns:  layout.Columns(),
		Bucket:   trailBucket,
		Table:    catalog.Table{Database: "trailguard", Name: "cloudtrail"},
		Registry: reg,
		Report:   func(p catalog.Partition) { *created = append(*created, p.Name) },
		Log:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:  &metrics.Counters{Function: "partitions"},
	}
}

func failedIDs(t *testing.T, h *Handler, raw []byte) ([]string, error) {
	t.Helper()
	resp, err := h.Handle(context.Background(), raw)
	if resp == nil {
		return nil, err
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids, err
}

func TestHandleSampleEvents(t *testing.T) {
	tests := []struct {
		file    string
		created []string
		failed  []string // nil: not an SQS batch
		err     string
		log     string // a decision that must be logged
	}{
		{"s3-notification.json", []string{us14}, nil, "", `"decision":"created"`},
		{"eventbridge-object-created.json", []string{org14}, nil, "", `"decision":"created"`},
		{"sqs-s3-notification.json", []string{us14, ap14}, []string{}, "", `"reason":"s3:TestEvent for bucket ` + trailBucket + `"`},
		{"sqs-eventbridge.json", []string{org14}, []string{}, "", `"message_ids":["2e1424d4-f796-459a-8184-9c92662be6da"]`},
		{"digest-file.json", nil, nil, "", `"reason":"CloudTrail digest file"`},
		{"url-encoded-key.json", []string{eu3}, nil, "", `"location":"s3://` + trailBucket + `/audit logs/env=prod/région-été/AWSLogs/111122223333/CloudTrail/eu-west-3/2024/05/14/"`},
		{"malformed-sqs-one-body.json", []string{us14}, []string{"d9e1f3a5-7b9c-4d1e-8f2a-3b5d7f9b1c66"}, "", `"error":"malformed event: field Records[1].body.Records[0].s3.object.key: missing"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var created []string
			var logs bytes.Buffer
			h := newHandler(&memoryRegistry{}, &created, &logs)
			failed, err := failedIDs(t, h, localtest.Event(t, "partitions", tt.file))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !slices.Equal(failed, tt.failed) {
				t.Errorf("batchItemFailures %q, want %q", failed, tt.failed)
			}
			if !slices.Equal(created, tt.created) {
				t.Errorf("created %q, want %q", created, tt.created)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("logs lack %s:\n%s", tt.log, logs.String())
			}
		})
	}
}

// The same event delivered twice registers nothing the second time.
func TestHandleRedelivery(t *testing.T) {
	var created []string
	var logs bytes.Buffer
	h := newHandler(&memoryRegistry{}, &created, &logs)
	for range 2 {
		if _, err := h.Handle(context.Background(), localtest.Event(t, "partitions", "sqs-s3-notification.json")); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(created, []string{us14, ap14}) {
		t.Errorf("created %q over two deliveries, want each partition once", created)
	}
}

// A batch asks the registry for each distinct partition once, whatever the shapes,
// duplicates and skipped keys in it.
func TestHandleDedupesAndSkips(t *testing.T) {
	key := func(acct, region string, day int, n int) string {
		return fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/2024/05/%02d/%s_CloudTrail_%s_202405%02dT1015Z_%04d.json.gz", acct, region, day, acct, region, day, n)
	}
	var bodies []string
	for n := range 30 {
		bodies = append(bodies,
			s3Notice(trailBucket, key("111122223333", "us-east-1", 14, n)),
			ebEvent(trailBucket, key("111122223333", "us-east-1", 15, n)),
			s3Notice(trailBucket, "AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/f"+fmt.Sprint(n)+".json.gz"))
	}
	bodies = append(bodies,
		s3Notice(trailBucket, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/14/d.json.gz"),
		s3Notice(trailBucket, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/"),
		s3Notice(trailBucket, "exports/report.csv"),
		s3Notice("some-other-bucket", key("111122223333", "us-east-1", 16, 0)))
	reg := &scriptedRegistry{}
	var created []string
	var logs bytes.Buffer
	h := newHandler(reg, &created, &logs)
	failed, err := failedIDs(t, h, []byte(sqsBatch(bodies...)))
	if err != nil || len(failed) != 0 {
		t.Fatalf("failed %q, err %v", failed, err)
	}
	want := []string{us14, "account=111122223333/region=us-east-1/year=2024/month=05/day=15", org14}
	if len(reg.calls) != 1 || !slices.Equal(reg.calls[0], want) {
		t.Errorf("registry asked %q, want once for %q", reg.calls, want)
	}
	m := h.Metrics.(*metrics.Counters)
	for name, want := range map[string]float64{"Objects": 94, "ObjectsSkipped": 4, "PartitionsCreated": 3, "PartitionsFailed": 0} {
		if got := m.Get(name); got != want {
			t.Errorf("counter %s = %v, want %v", name, got, want)
		}
	}
	for _, reason := range []string{"CloudTrail digest file", "folder marker", "key matches no layout", "bucket is not TRAIL_BUCKET"} {
		if strings.Count(logs.String(), reason) != 1 {
			t.Errorf("want one skip line with %q:\n%s", reason, logs.String())
		}
	}
}

// A failed partition fails only the SQS messages that need it; for the other shapes it
// fails the invocation, naming the partition.
func TestHandleFailures(t *testing.T) {
	failing := "account=111122223333/region=us-east-1/year=2024/month=05/day=15"
	k14 := "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/a.json.gz"
	k15 := "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/15/b.json.gz"
	k15b := "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/15/c.json.gz"
	t.Run("sqs", func(t *testing.T) {
		var created []string
		var logs bytes.Buffer
		h := newHandler(&scriptedRegistry{fail: map[string]bool{failing: true}}, &created, &logs)
		failed, err := failedIDs(t, h, []byte(sqsBatch(s3Notice(trailBucket, k14), ebEvent(trailBucket, k15), s3Notice(trailBucket, k15b), "not json")))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(failed, []string{"m1", "m2", "m3"}) {
			t.Errorf("batchItemFailures %q, want m1 and m2 (the failed partition) and m3 (malformed)", failed)
		}
		if !slices.Equal(created, []string{us14}) {
			t.Errorf("created %q", created)
		}
		m := h.Metrics.(*metrics.Counters)
		if m.Get("PartitionsFailed") != 1 || m.Get("BatchItemFailures") != 3 || m.Get("MalformedMessages") != 1 {
			t.Errorf("counters: failed %v, batch item failures %v, malformed %v", m.Get("PartitionsFailed"), m.Get("BatchItemFailures"), m.Get("MalformedMessages"))
		}
		if !strings.Contains(logs.String(), `"msg":"partition not registered"`) || !strings.Contains(logs.String(), `"decision":"failed"`) {
			t.Errorf("no failure line:\n%s", logs.String())
		}
	})
	for _, shape := range []struct {
		name string
		wrap func(bucket, key string) string
	}{{"s3-notification", s3Notice}, {"eventbridge", ebEvent}} {
		t.Run(shape.name, func(t *testing.T) {
			var created []string
			var logs bytes.Buffer
			h := newHandler(&scriptedRegistry{fail: map[string]bool{failing: true}}, &created, &logs)
			resp, err := h.Handle(context.Background(), []byte(shape.wrap(trailBucket, k15)))
			if resp != nil || err == nil || !strings.Contains(err.Error(), failing) {
				t.Errorf("Handle = %v, %v; want an error naming %s", resp, err, failing)
			}
		})
	}
}

func TestHandleMalformed(t *testing.T) {
	var created []string
	var logs bytes.Buffer
	h := newHandler(&memoryRegistry{}, &created, &logs)
	for _, raw := range []string{`{"Records":[`, `{"detail-type":"Object Created","source":"aws.s3"}`, `{}`} {
		_, err := h.Handle(context.Background(), []byte(raw))
		if !errors.Is(err, trail.ErrMalformed) {
			t.Errorf("Handle(%s) = %v, want a malformed-event error", raw, err)
		}
	}
	if strings.Count(logs.String(), `"decision":"reject"`) != 3 {
		t.Errorf("want one reject line per event:\n%s", logs.String())
	}
	if n := h.Metrics.(*metrics.Counters).Get("MalformedEvents"); n != 3 {
		t.Errorf("MalformedEvents = %v, want 3", n)
	}
}

// Replayed locally, SQS batch item failures make the replay fail.
func TestReplayReportsBatchItemFailures(t *testing.T) {
	var created []string
	var logs bytes.Buffer
	h := newHandler(&memoryRegistry{}, &created, &logs)
	err := localrun.WithBatchFailures(h.Handle)(context.Background(), localtest.Event(t, "partitions", "malformed-sqs-one-body.json"))
	if err == nil || !strings.Contains(err.Error(), "d9e1f3a5-7b9c-4d1e-8f2a-3b5d7f9b1c66") {
		t.Errorf("replay error %v, want the failed message named", err)
	}
	if err := localrun.WithBatchFailures(h.Handle)(context.Background(), localtest.Event(t, "partitions", "s3-notification.json")); err != nil {
		t.Errorf("replay: %v", err)
	}
}

func s3Notice(bucket, rawKey string) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-05-14T10:19:42.117Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":1024,"eTag":"e","sequencer":"01"}}}]}`, bucket, bucket, rawKey)
}

func ebEvent(bucket, rawKey string) string {
	return fmt.Sprintf(`{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3","account":"111122223333","time":"2024-05-14T10:24:06Z","region":"us-east-1","resources":["arn:aws:s3:::%s"],"detail":{"version":"0","bucket":{"name":%q},"object":{"key":%q,"size":1024,"etag":"e","sequencer":"01"},"reason":"PutObject"}}`, bucket, bucket, rawKey)
}

func sqsBatch(bodies ...string) string {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i, body := range bodies {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"messageId":"m%d","receiptHandle":"r%d","body":%s,"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1715682271910","SenderId":"AIDAJHIPRHEMV73VRJEBU","ApproximateFirstReceiveTimestamp":"1715682271917"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:111122223333:trailguard-partitions","awsRegion":"us-east-1"}`, i, i, quote(body))
	}
	b.WriteString(`]}`)
	return b.String()
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

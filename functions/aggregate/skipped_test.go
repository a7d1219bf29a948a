package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/objectevent"
	"github.com/trailguard/trailguard/shared/trail"
)

// metricsRecorder records the handler's metrics.
type metricsRecorder struct {
	mu sync.Mutex
	m  map[string]int
}

func (r *metricsRecorder) Add(name string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]int{}
	}
	r.m[name] += n
}

func (r *metricsRecorder) get(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[name]
}

// panickyObjects opens files as its objects do, but reading the one with key panics (as the
// log reader did on a broken element across a buffer refill).
type panickyObjects struct {
	objects
	key string
}

func (p panickyObjects) Open(ctx context.Context, o objectevent.Object) (io.ReadCloser, counters.FileID, error) {
	body, id, err := p.objects.Open(ctx, o)
	if err == nil && o.Key == p.key {
		body = panicBody{body}
	}
	return body, id, err
}

type panicBody struct{ io.ReadCloser }

func (panicBody) Read([]byte) (int, error) {
	var s []byte
	i := -919
	return int(s[i+len(s)]), nil // index out of range
}

// TestPanicFailsItsMessageOnly: a panic while reading one file of an SQS batch fails that file's
// message only; the batch's other files are counted, and the panic is logged with its stack.
func TestPanicFailsItsMessageOnly(t *testing.T) {
	const orgKey = "AWSLogs/o-aa111bb222/444455556666/CloudTrail/ap-southeast-2/2026/11/20/444455556666_CloudTrail_ap-southeast-2_20261120T0815Z_Zt8nB3mQy6Rk1LwD.json.gz"
	h, _, rep := newHandler(t)
	var logs bytes.Buffer
	h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	m := &metricsRecorder{}
	h.Metrics = m
	h.Objects = panickyObjects{objects: h.Objects, key: orgKey}
	resp, err := h.Handle(context.Background(), localtest.Event(t, "aggregate", "sqs-s3-notification.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "2e4f6a8c-0b1d-4e3f-a5b7-c9d1e3f5a702" {
		t.Errorf("batch item failures %v, want the organization file's message only", resp.BatchItemFailures)
	}
	if len(rep.sums) != 1 || !strings.Contains(rep.sums[0].Key, "us-east-1") {
		t.Errorf("files counted %+v, want the us-east-1 file", rep.sums)
	}
	if !strings.Contains(logs.String(), "panic while handling an object") || !strings.Contains(logs.String(), "goroutine ") {
		t.Errorf("the panic is not logged with its stack:\n%s", logs.String())
	}
	if m.get("FilesPanicked") != 1 || m.get("FilesFailed") != 1 {
		t.Errorf("metrics %v, want FilesPanicked 1 and FilesFailed 1", m.m)
	}
}

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// TestEmptyFilesCounted: a log file with no record is counted, not an error, and is said: a
// WARN line, EmptyFiles in the summary and the metrics.
func TestEmptyFilesCounted(t *testing.T) {
	tests := []struct {
		name, body string
		empty      bool
	}{
		{"0 bytes", "", true},
		{"whitespace only", " \n\t\r\n", true},
		{"gzip of nothing", gzipped(""), true},
		{"empty Records", `{"Records":[]}`, true},
		{"empty Records, gzipped", gzipped(`{"Records":[]}` + "\n"), true},
		{"empty array", `[ ]`, true},
		{"one record", `{"Records":[` + stopLogging + `]}`, false},
		{"one malformed record", `{"Records":[{"eventName":tru}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := quietHandler()
			var logs bytes.Buffer
			h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
			m := &metricsRecorder{}
			h.Store, h.Alerts, h.Metrics = &counters.Memory{}, &alerttest.Recorder{}, m
			sum, err := h.Aggregate(context.Background(), h.Log, counters.FileID{Bucket: "b", Key: "k", ETag: "e"}, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if tt.empty {
				want = 1
			}
			warned := strings.Contains(logs.String(), `"level":"WARN","msg":"empty log file"`)
			if sum.EmptyFiles != want || m.get("EmptyFiles") != want || warned != tt.empty {
				t.Errorf("summary EmptyFiles %d, metric %d, warned %v; want %d, %d, %v", sum.EmptyFiles, m.get("EmptyFiles"), warned, want, want, tt.empty)
			}
		})
	}
}

// TestDetectionSkippedCounted: with the detection rules on, every record they do not see is
// counted (summary and metrics) and logged; a record without eventID is no longer one of them
// (its ID is derived), and a record the counters refuse on a field the rules do not need is
// still seen by the rules.
func TestDetectionSkippedCounted(t *testing.T) {
	d, err := newDetector(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	noEventID := strings.Replace(stopLogging, `"eventID":"d3b2c1a0-9f8e-4d7c-b6a5-0f1e2d3c4b5a",`, "", 1)
	numericIP := strings.Replace(federationToken, `"sourceIPAddress":"203.0.113.140"`, `"sourceIPAddress":203`, 1)
	noIdentity := `{"eventVersion":"1.09","eventTime":"2026-11-20T08:05:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"0e1f","recipientAccountId":"111122223333"}`
	if noEventID == stopLogging || numericIP == federationToken {
		t.Fatal("fixture replacement failed")
	}
	body := `{"Records":[` + noEventID + `,` + numericIP + `,` + noIdentity + `,{"eventName":tru}]}`
	h := quietHandler()
	pub := &alerttest.Recorder{}
	m := &metricsRecorder{}
	var logs bytes.Buffer
	h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	h.Store, h.Alerts, h.Detect, h.Metrics = &counters.Memory{}, pub, d, m
	sum, err := h.Aggregate(context.Background(), h.Log, counters.FileID{Bucket: "b", Key: "k", ETag: "e"}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 4 || sum.Malformed != 2 || sum.DetectionSkipped != 2 || m.get("DetectionSkipped") != 2 {
		t.Errorf("summary %+v, metric DetectionSkipped %d: want 4 records, 2 malformed (numeric address, invalid JSON), 2 not seen by the rules (no identity, invalid JSON)",
			sum, m.get("DetectionSkipped"))
	}
	got := map[string]string{}
	for _, a := range pub.Alerts() {
		got[a.Kind] = a.EventID
	}
	if id := got["cloudtrail-logging-stopped"]; !strings.HasPrefix(id, trail.DerivedIDPrefix) {
		t.Errorf("StopLogging without eventID: alert event ID %q, want a derived one (alerts %v)", id, pub.Kinds())
	}
	if got["sts-federation-token-by-iam-user"] != "8a0c2e4b-6d8f-4a1c-9e3b-5f7d9b1c3e5a" {
		t.Errorf("federation token with a numeric source address: no alert from the rules (alerts %v)", pub.Kinds())
	}
	if !strings.Contains(logs.String(), `"msg":"record not seen by the detection rules","decision":"skip","reason":"unusable record"`) {
		t.Errorf("the unusable record is not logged:\n%s", logs.String())
	}
}

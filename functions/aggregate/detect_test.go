package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/events"
	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// A write event EventBridge delivers in real time, and a read-only one it never delivers.
const (
	stopLogging = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},` +
		`"eventTime":"2026-11-20T08:02:11Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9",` +
		`"userAgent":"aws-cli/2.22.0","requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"},"responseElements":null,` +
		`"requestID":"6f0e2a8c-1b3d-4e5f-8a7b-9c0d1e2f3a4b","eventID":"d3b2c1a0-9f8e-4d7c-b6a5-0f1e2d3c4b5a","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`
	deniedList = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},` +
		`"eventTime":"2026-11-20T08:03:40Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9",` +
		`"userAgent":"aws-cli/2.22.0","errorCode":"AccessDenied","errorMessage":"Access Denied","requestParameters":{"Host":"s3.us-east-1.amazonaws.com"},"responseElements":null,` +
		`"requestID":"7a8b9c0d1e2f3a4b","eventID":"e4c3b2a1-0f9e-4e8d-a7c6-1b2c3d4e5f60","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`
)

// federationToken is the sts-federation-token-by-iam-user rule's own test event (one record, one
// alert): a record the real-time path did not see.
const federationToken = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEGRACE1234","arn":"arn:aws:iam::111122223333:user/grace","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEGRACEKEY1","userName":"grace"},` +
	`"eventTime":"2026-11-20T17:43:17Z","eventSource":"sts.amazonaws.com","eventName":"GetFederationToken","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.140","userAgent":"aws-sdk-go-v2/1.32.3",` +
	`"requestParameters":{"name":"backup_session"},"responseElements":{"federatedUser":{"arn":"arn:aws:sts::111122223333:federated-user/backup_session","federatedUserId":"111122223333:backup_session"},"packedPolicySize":4},` +
	`"requestID":"2c4e6a8b-0d1f-4c3e-8a5b-7d9f1b3c5e7a","eventID":"8a0c2e4b-6d8f-4a1c-9e3b-5f7d9b1c3e5a","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

// TestLogFileRulesDedupeAgainstRealTime: the aggregator runs the same rules over each log file
// as the rules function runs in real time. An alert the real-time path already sent is not sent
// again from the file; a record the real-time path did not see alerts from the file; a
// redelivered file sends nothing more.
func TestLogFileRulesDedupeAgainstRealTime(t *testing.T) {
	d, err := newDetector(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := &alerttest.Recorder{}
	sender := &alert.Sender{Ledger: &alert.MemoryLedger{Options: alert.LedgerOptions{Window: 0, DedupeFor: 24 * 3600e9}},
		Publisher: pub, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()

	// The real-time path (functions/rules) sees StopLogging first.
	rec, err := trail.DecodeRecord([]byte(stopLogging))
	if err != nil {
		t.Fatal(err)
	}
	realTime, err := d.Detect(ctx, rec)
	if err != nil || len(realTime) != 1 || realTime[0].Kind != "cloudtrail-logging-stopped" {
		t.Fatalf("real-time alerts %v, %v", realTime, err)
	}
	if err := sender.Publish(ctx, realTime); err != nil {
		t.Fatal(err)
	}

	h := quietHandler()
	h.Store, h.Alerts, h.Detect = &counters.Memory{}, sender, d
	file := counters.FileID{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/f.json.gz", ETag: "e1"}
	body := `{"Records":[` + stopLogging + `,` + federationToken + `]}`
	for delivery := 1; delivery <= 2; delivery++ {
		sum, err := h.Aggregate(ctx, h.Log, file, strings.NewReader(body))
		if err != nil {
			t.Fatalf("delivery %d: %v", delivery, err)
		}
		if sum.RuleAlerts != 2 || sum.RuleErrors != 0 {
			t.Errorf("delivery %d: summary %+v, want the 2 rule alerts found", delivery, sum)
		}
	}
	var keys []string
	for _, a := range pub.Alerts() {
		keys = append(keys, a.Kind+"#"+a.EventID)
	}
	want := []string{
		"cloudtrail-logging-stopped#d3b2c1a0-9f8e-4d7c-b6a5-0f1e2d3c4b5a",       // real time
		"sts-federation-token-by-iam-user#8a0c2e4b-6d8f-4a1c-9e3b-5f7d9b1c3e5a", // the log file, once
	}
	if !slices.Equal(keys, want) {
		t.Errorf("published %v, want %v", keys, want)
	}
}

// TestLogFileRulesFoldRepeats: many records of one finding in a file make one alert that says
// how many more the file held.
func TestLogFileRulesFoldRepeats(t *testing.T) {
	d, err := newDetector(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := &alerttest.Recorder{}
	h := quietHandler()
	h.Store, h.Alerts, h.Detect = &counters.Memory{}, pub, d
	h.Rules.AccessDenied = 0 // only the detection rules here
	var recs []string
	for i := range 30 {
		r := strings.Replace(deniedList, "e4c3b2a1-0f9e-4e8d-a7c6-1b2c3d4e5f60", "e4c3b2a1-0f9e-4e8d-a7c6-"+strings.Repeat("0", 10)+string(rune('a'+i%26))+string(rune('a'+i/26)), 1)
		recs = append(recs, r)
	}
	sum, err := h.Aggregate(context.Background(), h.Log, counters.FileID{Bucket: "b", Key: "k", ETag: "e"}, strings.NewReader(strings.Join(recs, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	got := pub.Alerts()
	if sum.RuleAlerts != 1 || len(got) != 1 || got[0].Kind != "unauthorized-api-call" {
		t.Fatalf("summary %+v, alerts %v: want one folded alert", sum, pub.Kinds())
	}
	// unauthorized-api-call is a threshold rule (10 denials of one principal in 10 minutes):
	// the 10th record raises it, and the 20 after it are folded into it.
	if !slices.Contains(got[0].Details, alert.Detail{Label: "In this log file", Value: "20 more like this"}) {
		t.Errorf("details %v lack the folded count", got[0].Details)
	}
}

// TestLogFileThresholdAlertOnceUnderRedelivery: a redelivered log file does not send a
// threshold rule's alert again. The alert names the count reached in its window (not the record
// that found it reached), so on redelivery, where every denial finds the count reached, the
// alert claim recognizes it.
func TestLogFileThresholdAlertOnceUnderRedelivery(t *testing.T) {
	d, err := newDetector(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := &alerttest.Recorder{}
	sender := &alert.Sender{Ledger: &alert.MemoryLedger{Options: alert.LedgerOptions{Window: 0, DedupeFor: 24 * 3600e9}},
		Publisher: pub, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := quietHandler()
	h.Store, h.Alerts, h.Detect = &counters.Memory{}, sender, d
	h.Rules.AccessDenied = 0
	denials := make([]string, 10)
	for i := range denials {
		denials[i] = strings.Replace(deniedList, "e4c3b2a1-0f9e-4e8d-a7c6-1b2c3d4e5f60", fmt.Sprintf("e4c3b2a1-0f9e-4e8d-a7c6-1b2c3d4e5f%02d", i), 1)
	}
	body := `{"Records":[` + strings.Join(denials, ",") + `]}`
	for delivery := 1; delivery <= 2; delivery++ {
		if _, err := h.Aggregate(context.Background(), h.Log, counters.FileID{Bucket: "b", Key: "k", ETag: "e"}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	if got := pub.Kinds(); len(got) != 1 {
		t.Errorf("alerts %v over two deliveries of one file, want one", got)
	}
}

// decodeEverything is a detector without shortcuts: every record it is asked about is decoded
// in full and run through every rule (the path the prefilter and folding must agree with).
type decodeEverything struct{ *rules.Detector }

func (decodeEverything) Known(_ context.Context, _ *trail.Record, _ []byte, dst []string) ([]string, bool) {
	return dst, false
}

func (decodeEverything) KnownAlerts(_ context.Context, _ *trail.Record, _ func(string) bool, prints []string, alerts []alert.Alert) ([]string, []alert.Alert, bool) {
	return prints, alerts, false
}

// fileAlerts runs the aggregator's log-file path over one gzipped file with the whole pack
// (its own threshold counts) and returns what it found.
func fileAlerts(t *testing.T, data []byte, full bool) (*fileDetections, []alert.Alert, string) {
	t.Helper()
	d, err := newDetector(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := quietHandler()
	h.Detect = d
	if full {
		h.Detect = decodeEverything{d}
	}
	var sum Summary
	found := &fileDetections{}
	_, err = h.count(context.Background(), h.Log, bytes.NewReader(data), &sum, found)
	return found, found.final(), fmt.Sprint(err)
}

// TestFoldingAgreesWithDecodingEverything: the log-file path, which decodes only the records
// the rules' prefilter admits and folds records whose findings its kept fields name into the
// file's alerts without decoding them, finds exactly what decoding every record finds: the
// same alerts (kind, dedupe key, every field and detail, the folded counts), rule errors and
// skipped records (and the error of a truncated file), on the benchmark files, the sample
// trail, and a file of every rule's test
// events and the sample events, each several times over.
func TestFoldingAgreesWithDecodingEverything(t *testing.T) {
	files := map[string][]byte{}
	if !testing.Short() {
		_, files["bench"] = trailgen.LoadBenchFile(t)
		_, files["high-cardinality"] = trailgen.LoadHighCardinalityFile(t)
	}
	err := fs.WalkDir(events.AggregateBucket(), ".", func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files[path], err = fs.ReadFile(events.AggregateBucket(), path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files["corpus"] = corpusFile(t)
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			fast, got, gotErr := fileAlerts(t, data, false)
			full, want, wantErr := fileAlerts(t, data, true)
			if gotErr != wantErr {
				t.Errorf("error %s; decoding everything: %s", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("alerts differ:\n got %s\nwant %s", summarize(got), summarize(want))
			}
			if fast.ruleErrs != full.ruleErrs || fast.skipped != full.skipped {
				t.Errorf("rule errors %d, skipped %d; decoding everything: %d, %d", fast.ruleErrs, fast.skipped, full.ruleErrs, full.skipped)
			}
			t.Logf("%d alerts; %d records folded, %d cleared, %d built without decoding", len(got), fast.folded, fast.cleared, fast.built)
			if name != "corpus" && len(data) > 1<<20 && fast.folded == 0 {
				t.Error("nothing folded without decoding")
			}
		})
	}
}

// summarize lists alerts as kind, dedupe key and details, one a line.
func summarize(as []alert.Alert) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "\n  %s %s %v", a.Kind, a.DedupeKey(), a.Details[len(a.Details)-1])
	}
	return b.String()
}

// corpusFile is a gzipped log file of every built-in rule's test events and the sample
// events of the rules and sign-in functions (their CloudTrail records), three rounds of each
// with their own event IDs, interleaved, so repeats fold across other records.
func corpusFile(t *testing.T) []byte {
	t.Helper()
	d, err := newDetector(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for _, r := range d.Engine.Rules() {
		for _, tc := range r.Tests {
			var v map[string]any
			if err := tc.Event.Decode(&v); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, v)
		}
	}
	for _, dir := range []string{"../../events/rules", "../../events/logincheck"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var ev struct {
				Detail map[string]any `json:"detail"`
			}
			if json.Unmarshal(b, &ev) == nil && ev.Detail != nil {
				recs = append(recs, ev.Detail)
			}
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"Records":[`))
	for round := range 3 {
		for i, r := range recs {
			if id, ok := r["eventID"].(string); ok && round > 0 {
				r["eventID"] = fmt.Sprintf("%s-%d", id, round)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if round > 0 || i > 0 {
				zw.Write([]byte(","))
			}
			zw.Write(b)
		}
	}
	zw.Write([]byte(`]}`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

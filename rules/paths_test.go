package pack_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// TestPathsAgree: every positive test event of every built-in rule raises that rule both in
// real time (an EventBridge event, decoded and checked as the rules function does, through
// Detector.Detect) and from a log file (a gzipped {"Records":[…]} file read as the aggregator
// reads it: logfile.Reader framing records with the counters' parser, Detector.DetectJSON per
// record), with the same alerts (kind and dedupe key) either way. A threshold rule gets its
// Threshold hits: copies of the event with their own event IDs (and, for a distinct rule,
// their own values of the counted field).
func TestPathsAgree(t *testing.T) {
	e := compilePack(t)
	for _, r := range e.Rules() {
		for _, tc := range r.Tests {
			if !*tc.Expect {
				continue
			}
			t.Run(r.ID+"/"+tc.Name, func(t *testing.T) {
				recs := hits(t, r, tc)
				realtime := realTimeAlerts(t, e, recs)
				logFile := logFileAlerts(t, e, recs)
				if !raised(realtime, r.ID) {
					t.Errorf("real-time path raised %v, not %s", kinds(realtime), r.ID)
				}
				if !raised(logFile, r.ID) {
					t.Errorf("log-file path raised %v, not %s", kinds(logFile), r.ID)
				}
				if a, b := keys(realtime, r.ID), keys(logFile, r.ID); a != b {
					t.Errorf("the paths' %s alerts differ:\nreal time %s\nlog file  %s", r.ID, a, b)
				}
			})
		}
	}
}

// hits are the records a test event stands for: the bare CloudTrail record, Threshold times
// for a threshold rule.
func hits(t *testing.T, r *rules.Rule, tc rules.Test) []map[string]any {
	t.Helper()
	var v any
	if err := tc.Event.Decode(&v); err != nil {
		t.Fatal(err)
	}
	rec := jsonMap(t, v)
	if d, ok := rec["detail"].(map[string]any); ok && rec["detail-type"] != nil {
		rec = d // an EventBridge event: the record is its detail
	}
	if !r.HasThreshold() {
		return []map[string]any{rec}
	}
	out := make([]map[string]any, r.Threshold)
	for i := range out {
		c := jsonMap(t, rec) // a deep copy
		c["eventID"] = fmt.Sprintf("%v-%d", rec["eventID"], i)
		if r.Distinct != "" {
			setPath(t, c, r.Distinct, i)
		}
		out[i] = c
	}
	return out
}

// jsonMap round-trips v through JSON: the YAML event as the JSON CloudTrail writes.
func jsonMap(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("test event is not a JSON object: %v", err)
	}
	return m
}

// setPath makes the i-th copy's value at path distinct.
func setPath(t *testing.T, m map[string]any, path string, i int) {
	t.Helper()
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			t.Fatalf("distinct path %s: %s is not an object in the test event", path, p)
		}
		m = next
	}
	last := parts[len(parts)-1]
	switch v := m[last].(type) {
	case map[string]any: // a whole payload counted: one more key makes it another value
		v["pathsTestCopy"] = i
	case []any:
		m[last] = append(v, fmt.Sprint(i))
	default:
		m[last] = fmt.Sprintf("%v-%d", v, i)
	}
}

func realTimeAlerts(t *testing.T, e *rules.Engine, recs []map[string]any) []alert.Alert {
	t.Helper()
	d, err := rules.NewDetector(e, &rules.MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []alert.Alert
	for _, rec := range recs {
		raw, err := json.Marshal(eventBridge(rec))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := trail.DecodeEvent(raw)
		if err != nil {
			t.Fatalf("EventBridge event: %v", err)
		}
		if err := ev.Check(); err != nil {
			t.Fatalf("EventBridge event unusable: %v", err)
		}
		alerts, err := d.Detect(context.Background(), ev.Detail)
		if err != nil {
			t.Fatalf("real time: %v", err)
		}
		out = append(out, alerts...)
	}
	return out
}

// eventBridge wraps a record as EventBridge delivers it to the rules function.
func eventBridge(rec map[string]any) map[string]any {
	detailType, source := "AWS API Call via CloudTrail", "aws."+strings.TrimSuffix(fmt.Sprint(rec["eventSource"]), ".amazonaws.com")
	if rec["eventType"] == "AwsConsoleSignIn" {
		detailType, source = "AWS Console Sign In via CloudTrail", "aws.signin"
	}
	return map[string]any{
		"version": "0", "id": "0d7f5c2e-1a3b-4c5d-8e9f-0a1b2c3d4e5f", "detail-type": detailType, "source": source,
		"account": rec["recipientAccountId"], "time": rec["eventTime"], "region": rec["awsRegion"],
		"resources": []any{}, "detail": rec,
	}
}

func logFileAlerts(t *testing.T, e *rules.Engine, recs []map[string]any) []alert.Alert {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := rules.NewDetector(e, &rules.MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := logfile.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var p counters.Parser
	var out []alert.Alert
	for {
		raw, err := lr.NextFunc(p.Parse)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("log file: record %d: %v", lr.Records(), err)
		}
		alerts, err := d.DetectJSON(context.Background(), raw)
		if err != nil {
			t.Fatalf("log file: %v", err)
		}
		out = append(out, alerts...)
	}
	return out
}

func raised(alerts []alert.Alert, kind string) bool {
	for _, a := range alerts {
		if a.Kind == kind {
			return true
		}
	}
	return false
}

func kinds(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Kind)
	}
	return out
}

// keys are the dedupe keys of one rule's alerts, in order.
func keys(alerts []alert.Alert, kind string) string {
	var out []string
	for _, a := range alerts {
		if a.Kind == kind {
			out = append(out, a.DedupeKey())
		}
	}
	return strings.Join(out, " ")
}

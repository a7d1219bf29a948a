package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/trail"
)

func compileYAML(t testing.TB, src string) *Engine {
	t.Helper()
	rules, err := Parse([]byte(src), "own/r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const detectRules = `id: trail-stopped
title: trail stopped
severity: HIGH
description: Logging stopped.
when: event.eventName == "StopLogging"
fingerprint: [requestParameters.name, errorCode]
tests: []
---
id: by-role
title: assumed role
severity: LOW
when: event.userIdentity.type == "AssumedRole"
tests: []
---
id: broken
title: broken
severity: LOW
when: event.eventName == "RunInstances" && event.requestParameters.instanceType == "t3.micro"
tests: []
`

func TestDetectBuildsAlerts(t *testing.T) {
	d, err := NewDetector(compileYAML(t, detectRules), nil)
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := d.Detect(context.Background(), record(t, assumedRoleRecord))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || alerts[0].Kind != "trail-stopped" || alerts[1].Kind != "by-role" {
		t.Fatalf("alerts %+v, want trail-stopped then by-role", alerts)
	}
	a := alerts[0]
	want := alert.Alert{
		Kind: "trail-stopped", Severity: alert.High, Title: "trail stopped",
		Account: "111122223333", Region: "us-east-1",
		Principal: "arn:aws:sts::111122223333:assumed-role/Admin/alice", User: "Admin/alice",
		SourceIP: "::ffff:198.51.100.23", EventID: "6a4e2c0b-8f6d-4a4e-8c0b-8f6d4a2e0c8b",
		EventName: "StopLogging", EventTime: time.Date(2026, 11, 20, 9, 45, 19, 0, time.UTC), UserAgent: "aws-cli/2.22.4",
		FingerprintExtra: []string{"arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events", ""},
	}
	if a.Kind != want.Kind || a.Severity != want.Severity || a.Title != want.Title || a.Account != want.Account ||
		a.Region != want.Region || a.Principal != want.Principal || a.User != want.User || a.SourceIP != want.SourceIP ||
		a.EventID != want.EventID || a.EventName != want.EventName || !a.EventTime.Equal(want.EventTime) ||
		a.UserAgent != want.UserAgent || fmt.Sprint(a.FingerprintExtra) != fmt.Sprint(want.FingerprintExtra) {
		t.Errorf("alert\n got %+v\nwant %+v", a, want)
	}
	if a.DedupeKey() != "trail-stopped#6a4e2c0b-8f6d-4a4e-8c0b-8f6d4a2e0c8b#"+a.Fingerprint() {
		t.Errorf("dedupe key %s", a.DedupeKey())
	}
	details := fmt.Sprint(a.Details)
	for _, d := range []string{"{Rule trail-stopped}", "{Why Logging stopped.}", "{Event source cloudtrail.amazonaws.com}", "{requestParameters.name arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events}"} {
		if !strings.Contains(details, d) {
			t.Errorf("details %s lack %s", details, d)
		}
	}
	if strings.Contains(details, "{errorCode") {
		t.Errorf("details %s repeat a field every alert shows (errorCode)", details)
	}
}

// TestDetectReportsRulesThatCannotDecide: a rule erroring on a record is an error (the
// caller fails the invocation), but the other rules' alerts are still returned.
func TestDetectReportsRulesThatCannotDecide(t *testing.T) {
	d, _ := NewDetector(compileYAML(t, detectRules), nil)
	rec := record(t, strings.Replace(assumedRoleRecord, `"StopLogging"`, `"RunInstances"`, 1))
	alerts, err := d.Detect(context.Background(), rec)
	var ee *EvalError
	if !errors.As(err, &ee) || ee.RuleID != "broken" || ee.File != "own/r.yaml" || ee.EventID != rec.EventID {
		t.Fatalf("error %v, want an EvalError for rule broken", err)
	}
	if len(alerts) != 1 || alerts[0].Kind != "by-role" {
		t.Errorf("alerts %+v, want by-role's", alerts)
	}
}

func TestDetectRequiresEventIDAndTime(t *testing.T) {
	d, _ := NewDetector(compileYAML(t, detectRules), nil)
	for _, field := range []string{"eventID", "eventTime"} {
		rec := record(t, assumedRoleRecord)
		if field == "eventID" {
			rec.EventID = ""
		} else {
			rec.EventTime = "yesterday"
		}
		_, err := d.Detect(context.Background(), rec)
		if !errors.Is(err, trail.ErrMalformed) || !strings.Contains(err.Error(), field) {
			t.Errorf("without %s: %v, want a malformed-record error naming it", field, err)
		}
	}
}

const thresholdRules = `id: denied-burst
title: denied burst
severity: MEDIUM
when: event.errorCode != ""
fingerprint: [eventName]
threshold: 3
window: 10m
tests: []
`

func deniedAt(t *testing.T, id, at, name string) *trail.Record {
	rec := record(t, iamUserRecord)
	rec.EventID, rec.EventTime, rec.EventName = id, at, name
	return rec
}

func TestDetectThreshold(t *testing.T) {
	e := compileYAML(t, thresholdRules)
	if _, err := NewDetector(e, nil); err == nil || !strings.Contains(err.Error(), "denied-burst (own/r.yaml) has a threshold but no counter") {
		t.Errorf("NewDetector without counter: %v", err)
	}
	d, err := NewDetector(e, &MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		rec  *trail.Record
		want bool
		why  string
	}{
		{deniedAt(t, "e1", "2026-11-20T10:01:00Z", "RunInstances"), false, "first hit"},
		{deniedAt(t, "e1", "2026-11-20T10:01:00Z", "RunInstances"), false, "redelivery counts once"},
		{deniedAt(t, "e2", "2026-11-20T10:02:00Z", "RunInstances"), false, "second hit"},
		{deniedAt(t, "x1", "2026-11-20T10:02:30Z", "TerminateInstances"), false, "another fingerprint counts apart"},
		{deniedAt(t, "e3", "2026-11-20T10:09:59Z", "RunInstances"), true, "third hit in the window"},
		{deniedAt(t, "e1", "2026-11-20T10:01:00Z", "RunInstances"), true, "a redelivered counted event alerts again (the ledger drops it)"},
		{deniedAt(t, "e4", "2026-11-20T10:05:00Z", "RunInstances"), true, "later hits in a full window alert"},
		{deniedAt(t, "e5", "2026-11-20T10:10:00Z", "RunInstances"), false, "next window starts over"},
	}
	for _, s := range steps {
		alerts, err := d.Detect(context.Background(), s.rec)
		if err != nil {
			t.Fatalf("%s: %v", s.why, err)
		}
		if got := len(alerts) == 1; got != s.want {
			t.Errorf("%s (%s at %s): alert %t, want %t", s.why, s.rec.EventID, s.rec.EventTime, got, s.want)
		}
		if len(alerts) == 1 && !strings.Contains(fmt.Sprint(alerts[0].Details), "{Threshold 3 or more hits in the 10m window from 2026-11-20T10:00:00Z}") {
			t.Errorf("%s: details %v", s.why, alerts[0].Details)
		}
	}
}

type failingCounter struct{}

func (failingCounter) Add(context.Context, string, string, int, time.Time) (bool, []string, error) {
	return false, nil, errors.New("throttled")
}

func TestDetectThresholdCountFailureIsAnError(t *testing.T) {
	d, _ := NewDetector(compileYAML(t, thresholdRules), failingCounter{})
	alerts, err := d.Detect(context.Background(), deniedAt(t, "e1", "2026-11-20T10:01:00Z", "RunInstances"))
	if err == nil || !strings.Contains(err.Error(), "rule denied-burst on event e1: threshold count: throttled") || len(alerts) != 0 {
		t.Errorf("alerts %v, error %v", alerts, err)
	}
}

func TestThresholdKey(t *testing.T) {
	got := ThresholdKey("denied-burst", "abc", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	if got != "rt#denied-burst#1795168800#abc" {
		t.Errorf("key %s", got)
	}
}

// TestDetectJSON: the log-file path gives the alerts of the real-time path, and a record that
// does not decode is malformed.
func TestDetectJSON(t *testing.T) {
	d, _ := NewDetector(compileYAML(t, detectRules), nil)
	fromRecord, err := d.Detect(context.Background(), record(t, assumedRoleRecord))
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(assumedRoleRecord)
	fromJSON, err := d.DetectJSON(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		raw[i] = 'x' // the caller's buffer is reused for the next record
	}
	if fmt.Sprint(fromJSON) != fmt.Sprint(fromRecord) {
		t.Errorf("DetectJSON\n %+v\nDetect\n %+v", fromJSON, fromRecord)
	}
	if _, err := d.DetectJSON(context.Background(), []byte(`{"eventID": 5}`)); !errors.Is(err, trail.ErrMalformed) {
		t.Errorf("mistyped record: %v, want a malformed-record error", err)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/trail"
)

// fixture is a handler on in-memory dependencies, with the sample tags file as the live tags.
type fixture struct {
	h       *Handler
	store   *MemoryStore
	known   *tags.MemoryKnown
	alerts  *alerttest.Recorder
	metrics *metrics.Counters
}

func newFixture(t testing.TB, src tags.Source) *fixture {
	t.Helper()
	if src == nil {
		static, err := tags.LoadStatic("../../events/tags.json")
		if err != nil {
			t.Fatal(err)
		}
		src = static
	}
	f := &fixture{store: &MemoryStore{}, known: &tags.MemoryKnown{}, alerts: &alerttest.Recorder{}, metrics: &metrics.Counters{}}
	f.h = &Handler{
		OnlyWrite: true,
		Tags:      &tags.Resolver{Source: src, Cache: tags.NewCache(time.Hour, 1000, nil), Known: f.known},
		Store:     f.store,
		Alerts:    f.alerts,
		Log:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:   f.metrics,
	}
	return f
}

// TestSampleEvents replays each sample event alone, as Lambda would deliver it.
func TestSampleEvents(t *testing.T) {
	tests := []struct {
		file      string
		resource  string // "" with records 0: nothing recorded
		records   int
		tags      tags.Tags
		source    string
		errorCode string
		malformed bool
	}{
		{file: "ec2-1-run-instances.json", records: 1, resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890",
			tags: tags.Tags{"Name": "apollo-web-1", "project": "apollo", "env": "prod", "cost-center": "cc-1042"}, source: tags.FromRequest},
		{file: "ec2-2-modify-instance-attribute.json", records: 1, resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890",
			tags: tags.Tags{"Name": "apollo-web-1", "project": "apollo", "env": "prod", "cost-center": "cc-1042"}, source: tags.FromLookup},
		{file: "ec2-failed-authorize-ingress.json", records: 1, resource: "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60718",
			tags: tags.Tags{"project": "apollo", "env": "prod"}, source: tags.FromLookup, errorCode: "Client.UnauthorizedOperation"},
		{file: "s3-2-put-bucket-tagging.json", records: 1, resource: "arn:aws:s3:::apollo-datalake-raw",
			tags: tags.Tags{"project": "apollo", "owner": "kim@example.com", "env": "prod"}, source: tags.FromRequest},
		{file: "rds-1-create-db-instance.json", records: 1, resource: "arn:aws:rds:eu-west-1:111122223333:db:apollo-orders",
			tags: tags.Tags{"project": "apollo", "env": "prod", "owner": "team-orders"}, source: tags.FromRequest},
		{file: "iam-create-user.json", records: 1, resource: "arn:aws:iam::111122223333:user/svc-apollo-etl",
			tags: tags.Tags{"project": "apollo", "owner": "team-data"}, source: tags.FromRequest},
		{file: "kms-schedule-key-deletion.json", records: 1, resource: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			tags: tags.Tags{"project": "hermes", "cost-center": "cc-2201"}, source: tags.FromLookup},
		{file: "read-only-describe-instances.json", records: 0},
		{file: "malformed-missing-detail.json", records: 0, malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := newFixture(t, nil)
			err := f.h.Handle(context.Background(), localtest.Event(t, "tagenrich", tt.file))
			if tt.malformed {
				if !errors.Is(err, trail.ErrMalformed) {
					t.Fatalf("Handle = %v, want a malformed-event error", err)
				}
			} else if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			all := f.store.All()
			if len(all) != tt.records {
				t.Fatalf("%d records, want %d: %+v", len(all), tt.records, all)
			}
			if tt.records == 0 {
				return
			}
			c := all[0]
			if c.Resource != tt.resource || !c.Tags.Equal(tt.tags) || c.TagsSource != tt.source || c.ErrorCode != tt.errorCode || c.TagsUnavailable {
				t.Errorf("record %+v\nwant resource %s, tags %v from %s, error code %q", c, tt.resource, tt.tags, tt.source, tt.errorCode)
			}
		})
	}
}

func TestRecordFields(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.h.Handle(context.Background(), localtest.Event(t, "tagenrich", "s3-3-put-bucket-versioning.json")); err != nil {
		t.Fatal(err)
	}
	got := f.store.All()
	want := Change{
		Time: "2026-11-20T11:25:02Z", EventID: "1a08f6e4-7c9d-4ebf-9a5b-6c7d8e9fa0b6", EventName: "PutBucketVersioning",
		EventSource: "s3.amazonaws.com", Region: "eu-west-1", Account: "444455556666",
		Principal: "arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_DataEngineer_0f1e2d3c4b5a6978/kim@example.com",
		UserName:  "AWSReservedSSO_DataEngineer_0f1e2d3c4b5a6978/kim@example.com", UserType: "AssumedRole",
		SourceIP: "198.51.100.77", UserAgent: got[0].UserAgent, Resource: "arn:aws:s3:::apollo-datalake-raw",
		ResourceType: "AWS::S3::Bucket", Tags: tags.Tags{"project": "apollo", "owner": "kim@example.com", "env": "prod"},
		TagsSource: tags.FromLookup,
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("records %+v\nwant %+v", got, want)
	}
	if !strings.HasPrefix(got[0].UserAgent, "Mozilla/5.0") {
		t.Errorf("user agent %q", got[0].UserAgent)
	}
}

// TestLifecycle replays create, modify and delete of the sample resources in order, as one
// container would: the deletes carry the resources' last known tags although the resources
// are gone from the live tags by then.
func TestLifecycle(t *testing.T) {
	live := tags.Static{}
	static, err := tags.LoadStatic("../../events/tags.json")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range static {
		live[k] = v
	}
	f := newFixture(t, live)
	f.h.Tags.(*tags.Resolver).Cache = tags.NewCache(0, 0, nil) // no cache: every lookup live
	ctx := context.Background()
	for _, file := range []string{"rds-1-create-db-instance.json", "rds-2-modify-db-instance.json"} {
		if err := f.h.Handle(ctx, localtest.Event(t, "tagenrich", file)); err != nil {
			t.Fatal(err)
		}
	}
	delete(live, "arn:aws:rds:eu-west-1:111122223333:db:apollo-orders") // the instance is gone
	if err := f.h.Handle(ctx, localtest.Event(t, "tagenrich", "rds-3-delete-db-instance.json")); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.ByTag(ctx, "project", "apollo", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	var names []string
	for _, c := range got {
		names = append(names, c.EventName+"/"+c.TagsSource)
	}
	want := "DeleteDBInstance/last-known ModifyDBInstance/lookup CreateDBInstance/request"
	if strings.Join(names, " ") != want {
		t.Errorf("changes tagged project=apollo, newest first: %v, want %s", names, want)
	}
}

func TestRedeliveryWritesOneRecord(t *testing.T) {
	f := newFixture(t, nil)
	f.h.AlertOn = []tagCond{{"env", "prod"}}
	ctx := context.Background()
	for _, file := range []string{"ec2-1-run-instances.json", "ec2-1-run-instances.redelivered.json"} {
		if err := f.h.Handle(ctx, localtest.Event(t, "tagenrich", file)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.store.All()); n != 1 {
		t.Errorf("%d records after a redelivery, want 1", n)
	}
	if n := f.metrics.Get("ChangesDuplicate"); n != 1 {
		t.Errorf("ChangesDuplicate counted %v, want 1", n)
	}
	// Both deliveries publish (the first delivery's Publish may have failed after the record
	// was written); the durable publisher sends one per DedupeKey.
	if len(f.alerts.Alerts()) != 2 || f.alerts.Alerts()[0].DedupeKey() != f.alerts.Alerts()[1].DedupeKey() {
		t.Errorf("alerts %+v: want the same alert (one DedupeKey) from both deliveries", f.alerts.Alerts())
	}
}

func TestAlertOnTags(t *testing.T) {
	tests := []struct {
		file    string
		alertOn []tagCond
		want    int
	}{
		{"rds-1-create-db-instance.json", []tagCond{{"env", "prod"}}, 1},
		{"rds-1-create-db-instance.json", []tagCond{{"env", "staging"}}, 0},
		{"kms-schedule-key-deletion.json", []tagCond{{"env", "prod"}, {"project", "hermes"}}, 1},
		{"rds-1-create-db-instance.json", nil, 0},
	}
	for _, tt := range tests {
		f := newFixture(t, nil)
		f.h.AlertOn = tt.alertOn
		if err := f.h.Handle(context.Background(), localtest.Event(t, "tagenrich", tt.file)); err != nil {
			t.Fatal(err)
		}
		if len(f.alerts.Alerts()) != tt.want {
			t.Errorf("%s with ALERT_ON_TAGS %v: %d alerts, want %d", tt.file, tt.alertOn, len(f.alerts.Alerts()), tt.want)
			continue
		}
		if tt.want == 0 {
			continue
		}
		a := f.alerts.Alerts()[0]
		if a.Kind != KindTaggedResourceChanged || a.EventID == "" || a.Principal == "" || len(a.Details) == 0 {
			t.Errorf("alert %+v", a)
		}
	}
}

func TestAlertFailureFailsTheInvocation(t *testing.T) {
	f := newFixture(t, nil)
	f.h.AlertOn = []tagCond{{"env", "prod"}}
	f.alerts.Err = errors.New("sns: throttled")
	if err := f.h.Handle(context.Background(), localtest.Event(t, "tagenrich", "rds-1-create-db-instance.json")); err == nil {
		t.Fatal("an undelivered alert was swallowed")
	}
	if len(f.store.All()) != 1 {
		t.Error("the record was not kept for the retry")
	}
}

// failingSource fails every lookup, as a denied AssumeRole does.
type failingSource struct{}

func (failingSource) Lookup(_ context.Context, refs []tags.Ref) map[string]tags.Answer {
	out := map[string]tags.Answer{}
	for _, r := range refs {
		out[r.ARN] = tags.Answer{Err: errors.New("AccessDenied: not authorized to perform sts:AssumeRole")}
	}
	return out
}

func TestFailedLookupStillRecords(t *testing.T) {
	f := newFixture(t, failingSource{})
	if err := f.h.Handle(context.Background(), localtest.Event(t, "tagenrich", "s3-3-put-bucket-versioning.json")); err != nil {
		t.Fatalf("a failed tag lookup failed the event: %v", err)
	}
	got := f.store.All()
	if len(got) != 1 || !got[0].TagsUnavailable || got[0].TagsSource != tags.FromNone {
		t.Fatalf("records %+v, want one marked tags_unavailable", got)
	}
	if n := f.metrics.Get("TagsUnavailable"); n != 1 {
		t.Errorf("TagsUnavailable counted %v, want 1", n)
	}
}

func TestFilters(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.h.Services = map[string]bool{"rds.amazonaws.com": true}
	for _, file := range []string{"ec2-1-run-instances.json", "rds-1-create-db-instance.json"} {
		if err := f.h.Handle(ctx, localtest.Event(t, "tagenrich", file)); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.store.All(); len(got) != 1 || got[0].EventSource != "rds.amazonaws.com" {
		t.Errorf("SERVICES=rds kept %+v", got)
	}

	f = newFixture(t, nil)
	f.h.OnlyWrite = false
	if err := f.h.Handle(ctx, localtest.Event(t, "tagenrich", "read-only-describe-instances.json")); err != nil {
		t.Fatal(err)
	}
	if n := len(f.store.All()); n != 1 {
		t.Errorf("ONLY_WRITE=false recorded %d read-only changes, want 1", n)
	}

	f = newFixture(t, nil)
	ev := strings.Replace(string(localtest.Event(t, "tagenrich", "ec2-1-run-instances.json")), "AWS API Call via CloudTrail", "AWS Service Event via CloudTrail", 1)
	if err := f.h.Handle(ctx, []byte(ev)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.store.All()); n != 0 {
		t.Errorf("a service event was recorded (%d)", n)
	}
}

func TestMalformedDetail(t *testing.T) {
	base := string(localtest.Event(t, "tagenrich", "ec2-2-modify-instance-attribute.json"))
	tests := []struct {
		name, from, to, field string
	}{
		{"no eventName", `"eventName": "ModifyInstanceAttribute"`, `"eventName": ""`, "eventName"},
		{"bad eventTime, whatever the envelope's time", `"time": "2026-11-20T10:02:45Z"`, `"time": "2026-11-20T10:02:45Z"`, ""},
		{"impossible eventTime", `"eventTime": "2026-11-20T10:02:45Z"`, `"eventTime": "2026-02-31T10:02:45Z"`, "detail.eventTime"},
		{"no identity", `"userIdentity"`, `"notUserIdentity"`, "detail.userIdentity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := strings.Replace(base, tt.from, tt.to, 1)
			if tt.field == "" {
				ev = strings.Replace(ev, `"eventTime": "2026-11-20T10:02:45Z"`, `"eventTime": "yesterday"`, 1)
				tt.field = "detail.eventTime"
			}
			f := newFixture(t, nil)
			err := f.h.Handle(context.Background(), []byte(ev))
			if !errors.Is(err, trail.ErrMalformed) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Handle = %v, want a malformed-event error naming %s", err, tt.field)
			}
		})
	}
}

// derivedID is the event ID trail derives for the record of an EventBridge event.
func derivedID(t *testing.T, event string) string {
	t.Helper()
	ev, err := trail.DecodeEvent([]byte(event))
	if err != nil || !ev.Detail.EventIDDerived || !strings.HasPrefix(ev.Detail.EventID, trail.DerivedIDPrefix) {
		t.Fatalf("no derived ID: %v", err)
	}
	return ev.Detail.EventID
}

func TestPrinterJSON(t *testing.T) {
	var buf bytes.Buffer
	p := &printer{W: &buf, JSON: true}
	if err := p.print(Change{EventID: "e1", EventName: "RunInstances", Account: "111122223333", Principal: "p",
		Resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-1", Tags: tags.Tags{"project": "apollo"}, ErrorCode: "X"}); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("not one JSON object: %q", buf.String())
	}
	for _, k := range []string{"event_id", "event_name", "account", "principal", "resource", "tags", "error_code"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %s missing from %s", k, buf.String())
		}
	}
	if tg, ok := m["tags"].(map[string]any); !ok || tg["project"] != "apollo" {
		t.Errorf("tags %v, want an object", m["tags"])
	}
}

// TestChangesEdgeCases: records re-exported without eventID or with a non-RFC 3339 time, and
// a failed create that names no resource, are still recorded.
func TestChangesEdgeCases(t *testing.T) {
	base := string(localtest.Event(t, "tagenrich", "ec2-1-run-instances.json"))
	tests := []struct {
		name       string
		edit       func(string) string
		id, at     string
		resource   string
		tags       tags.Tags
		tagsSource string
		errorCode  string
	}{
		{
			name: "no eventID: derived from the record's content",
			edit: func(s string) string {
				return strings.Replace(s, `"eventID": "c5b3a1f9-2d4e-4f6a-8b0c-1d2e3f4a5b61"`, `"eventID": ""`, 1)
			},
			id: derivedID(t, strings.Replace(base, `"eventID": "c5b3a1f9-2d4e-4f6a-8b0c-1d2e3f4a5b61"`, `"eventID": ""`, 1)), at: "2026-11-20T09:14:02Z",
			resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890", tagsSource: tags.FromRequest,
			tags: tags.Tags{"Name": "apollo-web-1", "project": "apollo", "env": "prod", "cost-center": "cc-1042"},
		},
		{
			name: "eventTime as some exports write it",
			edit: func(s string) string {
				return strings.Replace(s, `"eventTime": "2026-11-20T09:14:02Z"`, `"eventTime": "2026-11-20 09:14:07.000000000"`, 1)
			},
			id: "c5b3a1f9-2d4e-4f6a-8b0c-1d2e3f4a5b61", at: "2026-11-20T09:14:07Z",
			resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890", tagsSource: tags.FromRequest,
			tags: tags.Tags{"Name": "apollo-web-1", "project": "apollo", "env": "prod", "cost-center": "cc-1042"},
		},
		{
			name: "failed RunInstances: no instance, attributed by its tag specification",
			edit: func(s string) string {
				var ev map[string]any
				if err := json.Unmarshal([]byte(s), &ev); err != nil {
					t.Fatal(err)
				}
				d := ev["detail"].(map[string]any)
				d["responseElements"] = nil
				d["errorCode"] = "Client.InstanceLimitExceeded"
				d["errorMessage"] = "You have requested more instances (21) than your current instance limit of 20 allows."
				b, _ := json.Marshal(ev)
				return string(b)
			},
			id: "c5b3a1f9-2d4e-4f6a-8b0c-1d2e3f4a5b61", at: "2026-11-20T09:14:02Z", resource: "", tagsSource: tags.FromRequest,
			tags:      tags.Tags{"Name": "apollo-web-1", "project": "apollo", "env": "prod", "cost-center": "cc-1042"},
			errorCode: "Client.InstanceLimitExceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if err := f.h.Handle(context.Background(), []byte(tt.edit(base))); err != nil {
				t.Fatal(err)
			}
			got := f.store.All()
			if len(got) != 1 {
				t.Fatalf("%d records, want 1", len(got))
			}
			c := got[0]
			if c.EventID != tt.id || c.Time != tt.at || c.Resource != tt.resource || !c.Tags.Equal(tt.tags) ||
				c.TagsSource != tt.tagsSource || c.ErrorCode != tt.errorCode {
				t.Errorf("record %+v\nwant id %s at %s resource %q tags %v from %s error %q", c, tt.id, tt.at, tt.resource, tt.tags, tt.tagsSource, tt.errorCode)
			}
		})
	}
}

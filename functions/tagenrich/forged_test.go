package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/trail"
	"github.com/trailguard/trailguard/shared/turnaway"
)

// Only AWS can speak for AWS: a real CloudTrail record under a source that is not AWS's is
// rejected — one log line, one count, nothing recorded, no tag read, no alert, no error
// (nothing to retry). Any "aws.*" source is AWS's (EventBridge reserves the prefix).
func TestForgedSourcesAreRejected(t *testing.T) {
	tests := []struct {
		dir, file, source string
		wantReason        string // "": recorded as usual
	}{
		{"tagenrich", "ec2-1-run-instances.json", "aws.ec2", ""},
		{"tagenrich", "ec2-1-run-instances.json", "aws.ec2.evil", ""},
		{"tagenrich", "ec2-1-run-instances.json", "com.attacker.forged", trail.ReasonForgedSource},
		{"tagenrich", "kms-schedule-key-deletion.json", "com.attacker.forged", trail.ReasonForgedSource},
		{"tagenrich", "s3-2-put-bucket-tagging.json", "com.attacker.forged", trail.ReasonForgedSource},
		{"tagenrich", "ec2-1-run-instances.json", "aws", trail.ReasonForgedSource},
		{"tagenrich", "ec2-1-run-instances.json", "aws.", trail.ReasonForgedSource},
		{"tagenrich", "ec2-1-run-instances.json", "AWS.ec2", trail.ReasonForgedSource},
		{"logincheck", "untrusted-ipv4.json", "aws.signin.evil", trail.ReasonSignInSource},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.source, func(t *testing.T) {
			f := newFixture(t, nil)
			f.h.AlertOn = []tagCond{{"project", "apollo"}, {"env", "prod"}}
			logs := &bytes.Buffer{}
			f.h.Log = slog.New(slog.NewJSONHandler(logs, nil))
			if err := f.h.Handle(context.Background(), localtest.EventWithSource(t, tt.dir, tt.file, tt.source)); err != nil {
				t.Fatalf("Handle = %v, want nil", err)
			}
			recorded := len(f.store.All())
			if tt.wantReason == "" {
				if recorded == 0 || f.metrics.Get("ForgedSources") != 0 {
					t.Errorf("an AWS source: %d records, ForgedSources %v; want it recorded", recorded, f.metrics.Get("ForgedSources"))
				}
				return
			}
			if recorded != 0 || len(f.alerts.Alerts()) != 0 || f.metrics.Get("ForgedSources") != 1 {
				t.Errorf("%d records, alerts %v, ForgedSources %v; want nothing recorded or alerted, one count",
					recorded, f.alerts.Kinds(), f.metrics.Get("ForgedSources"))
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want one:\n%s", len(lines), logs)
			}
			var l map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
				t.Fatal(err)
			}
			if l["decision"] != "rejected" || l["reason"] != tt.wantReason || l["source"] != tt.source {
				t.Errorf("log line %v, want decision rejected, reason %q, source %q", l, tt.wantReason, tt.source)
			}
		})
	}
}

// The sender chose the source: it is logged cleaned of control and invisible characters and
// capped, never as sent.
func TestForgedSourceIsLoggedSanitized(t *testing.T) {
	f := newFixture(t, nil)
	logs := &bytes.Buffer{}
	f.h.Log = slog.New(slog.NewJSONHandler(logs, nil))
	source := "com.evil\n{\"decision\":\"record\"}\u202e\u0007" + strings.Repeat("x", 300)
	if err := f.h.Handle(context.Background(), localtest.EventWithSource(t, "tagenrich", "ec2-1-run-instances.json", source)); err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(logs.Bytes(), &l); err != nil {
		t.Fatalf("want one log line: %v\n%s", err, logs)
	}
	got, _ := l["source"].(string)
	if strings.ContainsAny(got, "\n\u202e\u0007") || len([]rune(got)) > turnaway.MaxLogged || !strings.HasPrefix(got, "com.evil {") {
		t.Errorf("logged source %q, want it cleaned and at most %d characters", got, turnaway.MaxLogged)
	}
}

// An event with no source is not one EventBridge can deliver (PutEvents requires a source):
// it is malformed, failed naming the field, and ends in the dead-letter queue.
func TestEmptySourceIsMalformed(t *testing.T) {
	f := newFixture(t, nil)
	err := f.h.Handle(context.Background(), localtest.EventWithSource(t, "tagenrich", "ec2-1-run-instances.json", ""))
	var fe *trail.FieldError
	if !errors.Is(err, trail.ErrMalformed) || !errors.As(err, &fe) || fe.Field != "source" {
		t.Fatalf("Handle = %v, want a malformed-event error naming source", err)
	}
	if n := len(f.store.All()); n != 0 {
		t.Errorf("%d records, want none", n)
	}
}

// With the static tags of a local run too, a resource the request names in another account
// than the event's is recorded without tags and with a note, and its tags are not read.
func TestOtherAccountResourceIsNotLookedUp(t *testing.T) {
	raw := localtest.Event(t, "tagenrich", "kms-schedule-key-deletion.json")
	foreign := "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	raw = bytes.ReplaceAll(raw, []byte("arn:aws:kms:eu-west-1:111122223333:key/"), []byte("arn:aws:kms:eu-west-1:999999999999:key/"))
	raw = bytes.Replace(raw, []byte(`"accountId": "111122223333",
        "type": "AWS::KMS::Key"`), []byte(`"accountId": "999999999999",
        "type": "AWS::KMS::Key"`), 1)
	f := newFixture(t, nil)
	if err := f.h.Handle(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	all := f.store.All()
	if len(all) != 1 {
		t.Fatalf("%d records, want 1", len(all))
	}
	c := all[0]
	if c.Resource != foreign || c.Account != "111122223333" || c.TagsSource != "other-account" || len(c.Tags) != 0 ||
		c.TagsUnavailable || !strings.Contains(c.Note, "999999999999") {
		t.Errorf("recorded %+v, want the foreign key, the event's account, no tags and a note", c)
	}
	if f.metrics.Get("OtherAccountResources") != 1 {
		t.Errorf("OtherAccountResources = %v, want 1", f.metrics.Get("OtherAccountResources"))
	}
}

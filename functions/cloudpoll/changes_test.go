package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/cloudfake"
	"github.com/trailguard/trailguard/shared/cloudsign"
	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/trail"
)

const (
	aliHome   = "1234567890123456" // the account of the samples' ActionTrail source
	aliMember = "5555666677778888" // a Resource Directory member
)

// withChangeLog gives the rig a change log in memory whose Alibaba tag lookups go to one
// fake ECS/SLB/STS endpoint, loaded with tags for the samples' resources and a member's.
func withChangeLog(t *testing.T, r *rig) (*changelog.MemoryStore, *cloudfake.AlibabaTags) {
	t.Helper()
	fake := cloudfake.NewAlibabaTags(t, aliHome, goodKey)
	fake.AddMemberRole(aliMember, tags.AlibabaMemberRole, aliHome)
	fake.Tag("ecs", aliHome, "cn-hangzhou", "i-bp1a2b3c4d5e6f7g8h9i", cloudfake.Tagged{"project": "apollo"})
	fake.Tag("slb", aliHome, "cn-hangzhou", "lb-bp1slbexample0001", cloudfake.Tagged{"project": "apollo", "env": "prod"})
	fake.Tag("ecs", aliMember, "cn-shanghai", "i-uf6member", cloudfake.Tagged{"project": "gemini"})
	store := &changelog.MemoryStore{}
	r.h.Changes = &changeLog{Store: store, Cache: tags.NewCache(time.Hour, 100, nil), Known: &tags.MemoryKnown{}, Metrics: r.metrics,
		NewTags: func(_ Source, cred cloudsign.Credentials) tags.Source {
			return &tags.Alibaba{Credentials: cred, Home: aliHome, Endpoint: func(string, string) string { return fake.URL() },
				STSEndpoint: fake.URL(), Now: time.Now}
		}}
	return store, fake
}

// TestWriteEventsEnterTheChangeLog: over two overlapping polls of the three clouds, every
// write event is one change record per resource, once; Alibaba ECS and SLB resources carry
// their tags (a member account's read through its ResourceDirectoryAccountAccessRole); reads,
// sign-ins and sign-outs are not changes.
func TestWriteEventsEnterTheChangeLog(t *testing.T) {
	f := startFakes(t)
	member := fmt.Sprintf(`{"eventId":"D9C3E4F5-A6B7-4283-A495-B6C7D8E9F0A1","eventName":"StopInstance","eventRW":"Write","eventSource":"ecs-cn-shanghai.aliyuncs.com",
		"eventType":"ApiCall","eventTime":"2026-11-20T12:28:30Z","acsRegion":"cn-shanghai","sourceIpAddress":"198.51.100.20",
		"userIdentity":{"type":"assumed-role","principalId":"300000000000000001:ops","accountId":%q,"userName":"ops"},
		"resourceType":"ACS::ECS::Instance","resourceName":"i-uf6member"}`, aliMember)
	read := `{"eventId":"E0D4F5A6-B7C8-4394-B5A6-C7D8E9F0A1B2","eventName":"DescribeInstances","eventRW":"Read","eventSource":"ecs-cn-hangzhou.aliyuncs.com",
		"eventType":"ApiCall","eventTime":"2026-11-20T12:28:40Z","acsRegion":"cn-hangzhou","sourceIpAddress":"198.51.100.20",
		"userIdentity":{"type":"ram-user","principalId":"203456789012345678","accountId":"1234567890123456","userName":"alice"},
		"resourceType":"ACS::ECS::Instance","resourceName":"i-bp1a2b3c4d5e6f7g8h9i"}`
	if err := f.alibaba.Add([]byte(member), []byte(read)); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, f.sources, allSecrets, nil)
	store, fake := withChangeLog(t, r)
	for _, at := range []time.Time{firstPoll, secondPoll} {
		if err := r.pollAt(t, at); err != nil {
			t.Fatalf("poll at %s: %v", at, err)
		}
	}
	var got []string
	for _, c := range store.All() {
		got = append(got, fmt.Sprintf("%s %s %s [%s] %s", c.EventName, c.Account, c.Resource, c.Tags, c.TagsSource))
	}
	slices.Sort(got)
	want := []string{
		"DeleteInstance 1234567890123456 acs:ecs:cn-hangzhou:1234567890123456:instance/i-bp1a2b3c4d5e6f7g8h9i [project=apollo] lookup",
		"DeleteLoadBalancer 1234567890123456 acs:slb:cn-hangzhou:1234567890123456:loadbalancer/lb-bp1slbexample0001 [env=prod,project=apollo] lookup",
		"ModifyInstancesAttribute 100012345678 ins-3k5m7n9q [] none",
		"StopInstance 5555666677778888 acs:ecs:cn-shanghai:5555666677778888:instance/i-uf6member [project=gemini] lookup",
		"TerminateInstances 100012345678 ins-7x9k2m4p [] none",
		"deleteServer 0a1b2c3d4e5f60718293a4b5c6d7e8f9 3e5a7c9b-1d2f-4a6b-8c0e-5f7a9b1c3d5e [] none",
		"updateServer 0a1b2c3d4e5f60718293a4b5c6d7e8f9 7d1c5e2a-8b3f-4e61-9a0d-2c4b6e8f1a3d [] none",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := int(r.metrics.Get("Changes")); n != len(want) {
		t.Errorf("%d changes written, want %d (each once)", n, len(want))
	}
	assumed := 0
	for _, req := range fake.Requests() {
		if strings.HasPrefix(req.Path, "AssumeRole") {
			assumed++
		}
	}
	if assumed != 1 {
		t.Errorf("%d AssumeRole calls, want 1", assumed)
	}
}

// TestTagLookupFailureStillRecords: tags that cannot be read (the key denied) leave the
// change recorded, marked unavailable, and the poll succeeds.
func TestTagLookupFailureStillRecords(t *testing.T) {
	f := startFakes(t)
	r := newRig(t, f.sources[1:2], allSecrets, nil)
	store, fake := withChangeLog(t, r)
	fake.Deny(goodKey.KeyID)
	if err := r.pollAt(t, secondPoll); err != nil {
		t.Fatal(err)
	}
	changes := store.All()
	if len(changes) != 2 {
		t.Fatalf("%d changes, want 2", len(changes))
	}
	for _, c := range changes {
		if !c.TagsUnavailable || c.TagsSource != tags.FromNone {
			t.Errorf("%s: unavailable %v, source %s", c.Resource, c.TagsUnavailable, c.TagsSource)
		}
	}
	if r.metrics.Get("TagsUnavailable") != 2 {
		t.Errorf("TagsUnavailable %v", r.metrics.Get("TagsUnavailable"))
	}
}

func TestIsWrite(t *testing.T) {
	ro := func(v bool) trail.Bool { return trail.Bool{Value: v, Present: true} }
	tests := []struct {
		rec  trail.Record
		want bool
	}{
		{trail.Record{EventName: "DeleteInstance", ReadOnly: ro(false)}, true},
		{trail.Record{EventName: "DeleteInstance", ReadOnly: ro(true)}, false},
		{trail.Record{EventName: "updateServer"}, true},
		{trail.Record{EventName: "listServers"}, false},
		{trail.Record{EventName: "ShowServer"}, false},
		{trail.Record{EventName: "DescribeInstances"}, false},
		{trail.Record{EventName: "ConsoleLogin", EventType: "AwsConsoleSignIn", ReadOnly: ro(false)}, false},
		{trail.Record{}, false},
	}
	for _, tt := range tests {
		if got := IsWrite(&tt.rec); got != tt.want {
			t.Errorf("%s (read-only %+v): %v, want %v", tt.rec.EventName, tt.rec.ReadOnly, got, tt.want)
		}
	}
}

package storecontract

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/tags"
)

// ChangeStore is the change log tagenrich writes and the god view reads
// (changelog.MemoryStore, changelog.DynamoStore, localstate.Changes).
type ChangeStore interface {
	Put(ctx context.Context, c changelog.Change) (changelog.Change, bool, error)
	ByTag(ctx context.Context, key, value string, from, to time.Time) ([]changelog.Change, error)
	ByPrincipal(ctx context.Context, principal string, from, to time.Time) ([]changelog.Change, error)
}

// ChangeTagKey is the tag key the change contract queries by: a DynamoStore under test must
// index it (IndexKeys).
const ChangeTagKey = "project"

// ChangeTimes are the first and the last change time the contract writes: a store that
// expires changes must keep them around its clock.
var ChangeTimes = [2]time.Time{
	time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC),
}

const (
	alice = "arn:aws:iam::111122223333:user/alice"
	bob   = "arn:aws:iam::111122223333:user/bob"
)

func change(id, resource, principal string, at time.Time, t tags.Tags) changelog.Change {
	return changelog.Change{
		Time: at.UTC().Format(changelog.TimeLayout), EventID: id, EventName: "TerminateInstances",
		EventSource: "ec2.amazonaws.com", Region: "us-east-1", Account: "111122223333", Principal: principal,
		UserName: "alice", UserType: "IAMUser", SourceIP: "192.0.2.10", UserAgent: "aws-cli/2.15.0",
		Resource: resource, ResourceType: "AWS::EC2::Instance", Tags: t, TagsSource: "request",
	}
}

// sameChange compares the stored fields of two changes (an empty tag set and none are alike).
func sameChange(a, b changelog.Change) bool {
	if len(a.Tags) != len(b.Tags) || len(a.Tags) > 0 && !a.Tags.Equal(b.Tags) {
		return false
	}
	a.Tags, b.Tags, a.LookupError, b.LookupError = nil, nil, "", ""
	return reflect.DeepEqual(a, b)
}

func keys(cs []changelog.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Key()
	}
	return out
}

// Changes runs the change log contract: one record per event × resource (a change delivered
// twice is stored once, and the second delivery gets the first record back), read by tag and
// by principal over an inclusive time range, newest first. newStore makes an empty store.
func Changes(t *testing.T, newStore func(t *testing.T) ChangeStore) {
	ctx := context.Background()
	t0 := ChangeTimes[0]
	apollo := tags.Tags{ChangeTagKey: "apollo", "owner": "alice"}
	gemini := tags.Tags{ChangeTagKey: "gemini"}
	i1 := "arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1"
	i2 := "arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaa2"
	put := func(t *testing.T, s ChangeStore, c changelog.Change) (changelog.Change, bool) {
		t.Helper()
		stored, fresh, err := s.Put(ctx, c)
		if err != nil {
			t.Fatalf("put %s: %v", c.Key(), err)
		}
		return stored, fresh
	}

	t.Run("a change delivered twice is stored once", func(t *testing.T) {
		s := newStore(t)
		c := change("ev-1", i1, alice, t0, apollo)
		stored, fresh := put(t, s, c)
		if !fresh || !sameChange(stored, c) {
			t.Errorf("first put: fresh %v, stored %+v", fresh, stored)
		}
		later := c
		later.Tags, later.TagsSource = gemini, "lookup" // tags changed between deliveries
		stored, fresh = put(t, s, later)
		if fresh || !sameChange(stored, c) {
			t.Errorf("second put: fresh %v, stored %+v; want the first record", fresh, stored)
		}
		got, err := s.ByTag(ctx, ChangeTagKey, "apollo", ChangeTimes[0], ChangeTimes[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !sameChange(got[0], c) {
			t.Errorf("by tag after two deliveries: %v", keys(got))
		}
		if got, _ := s.ByTag(ctx, ChangeTagKey, "gemini", ChangeTimes[0], ChangeTimes[1]); len(got) != 0 {
			t.Errorf("the redelivery's tags were stored: %v", keys(got))
		}
		if got, _ := s.ByPrincipal(ctx, alice, ChangeTimes[0], ChangeTimes[1]); len(got) != 1 {
			t.Errorf("by principal after two deliveries: %v", keys(got))
		}
	})

	t.Run("one event, two resources: two records", func(t *testing.T) {
		s := newStore(t)
		put(t, s, change("ev-2", i1, alice, t0, apollo))
		put(t, s, change("ev-2", i2, alice, t0, apollo))
		got, err := s.ByTag(ctx, ChangeTagKey, "apollo", ChangeTimes[0], ChangeTimes[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("by tag: %v, want both resources", keys(got))
		}
	})

	t.Run("queries by tag and by principal over a range, newest first", func(t *testing.T) {
		s := newStore(t)
		for i, c := range []changelog.Change{
			change("ev-a", i1, alice, t0, apollo),
			change("ev-b", i2, bob, t0.Add(time.Hour), apollo),
			change("ev-c", i1, alice, t0.Add(2*time.Hour), gemini),
			change("ev-d", i2, alice, t0.Add(3*time.Hour), apollo),
			change("ev-e", "", bob, t0.Add(3*time.Hour), nil), // a change with no resource
		} {
			if _, fresh := put(t, s, c); !fresh {
				t.Fatalf("change %d not fresh", i)
			}
		}
		cases := []struct {
			name     string
			query    func() ([]changelog.Change, error)
			wantKeys []string
		}{
			{"apollo, all", func() ([]changelog.Change, error) {
				return s.ByTag(ctx, ChangeTagKey, "apollo", t0, t0.Add(3*time.Hour))
			}, []string{"ev-d|" + i2, "ev-b|" + i2, "ev-a|" + i1}},
			{"apollo, the range's ends included", func() ([]changelog.Change, error) {
				return s.ByTag(ctx, ChangeTagKey, "apollo", t0.Add(time.Hour), t0.Add(3*time.Hour))
			}, []string{"ev-d|" + i2, "ev-b|" + i2}},
			{"apollo, a range before the first", func() ([]changelog.Change, error) {
				return s.ByTag(ctx, ChangeTagKey, "apollo", t0.Add(-2*time.Hour), t0.Add(-time.Second))
			}, nil},
			{"gemini", func() ([]changelog.Change, error) {
				return s.ByTag(ctx, ChangeTagKey, "gemini", t0, t0.Add(3*time.Hour))
			}, []string{"ev-c|" + i1}},
			{"a value nobody has", func() ([]changelog.Change, error) {
				return s.ByTag(ctx, ChangeTagKey, "apollo-2", t0, t0.Add(3*time.Hour))
			}, nil},
			{"alice", func() ([]changelog.Change, error) {
				return s.ByPrincipal(ctx, alice, t0, t0.Add(3*time.Hour))
			}, []string{"ev-d|" + i2, "ev-c|" + i1, "ev-a|" + i1}},
			{"alice, two hours", func() ([]changelog.Change, error) {
				return s.ByPrincipal(ctx, alice, t0.Add(time.Second), t0.Add(2*time.Hour))
			}, []string{"ev-c|" + i1}},
			{"bob, with the change without resource", func() ([]changelog.Change, error) {
				return s.ByPrincipal(ctx, bob, t0, t0.Add(3*time.Hour))
			}, []string{"ev-e|-", "ev-b|" + i2}},
		}
		for _, tc := range cases {
			got, err := tc.query()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if k := keys(got); len(k) != len(tc.wantKeys) || len(k) > 0 && !slices.Equal(k, tc.wantKeys) {
				t.Errorf("%s: %v, want %v", tc.name, k, tc.wantKeys)
			}
			for _, c := range got {
				if c.EventName != "TerminateInstances" || c.UserAgent != "aws-cli/2.15.0" {
					t.Errorf("%s: %s read back as %+v", tc.name, c.Key(), c)
				}
			}
		}
	})
}

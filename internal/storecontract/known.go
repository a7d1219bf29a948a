package storecontract

import (
	"context"
	"testing"

	"github.com/trailguard/trailguard/shared/tags"
)

// KnownStore keeps resources' last known tags (tags.MemoryKnown, tags.DynamoKnown,
// localstate.Known).
type KnownStore interface {
	Get(ctx context.Context, arn string) (tags.Tags, bool, error)
	Put(ctx context.Context, arn string, t tags.Tags) error
}

// Known runs the last-known-tags contract: an unknown resource is not found, the last Put
// wins, an empty tag set is known (and empty), resources do not share tags. newStore makes an
// empty store that keeps what it is given for at least a day.
func Known(t *testing.T, newStore func(t *testing.T) KnownStore) {
	ctx := context.Background()
	const (
		a = "arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1"
		b = "arn:aws:s3:::apollo-artifacts"
		c = "arn:aws:iam::111122223333:role/untagged"
	)
	s := newStore(t)
	get := func(arn string) (tags.Tags, bool) {
		t.Helper()
		got, ok, err := s.Get(ctx, arn)
		if err != nil {
			t.Fatalf("get %s: %v", arn, err)
		}
		return got, ok
	}
	put := func(arn string, tg tags.Tags) {
		t.Helper()
		if err := s.Put(ctx, arn, tg); err != nil {
			t.Fatalf("put %s: %v", arn, err)
		}
	}
	if got, ok := get(a); ok || len(got) != 0 {
		t.Errorf("unknown resource: %v, %v", got, ok)
	}
	put(a, tags.Tags{"project": "apollo", "owner": "alice"})
	put(b, tags.Tags{"project": "gemini"})
	put(c, tags.Tags{})
	put(a, tags.Tags{"project": "apollo", "cost-centre": "cc-42"})
	for _, tc := range []struct {
		arn  string
		want tags.Tags
	}{
		{a, tags.Tags{"project": "apollo", "cost-centre": "cc-42"}},
		{b, tags.Tags{"project": "gemini"}},
		{c, tags.Tags{}},
	} {
		got, ok := get(tc.arn)
		if !ok || len(got) != len(tc.want) || len(got) > 0 && !got.Equal(tc.want) {
			t.Errorf("%s: %v (found %v), want %v", tc.arn, got, ok, tc.want)
		}
	}
}

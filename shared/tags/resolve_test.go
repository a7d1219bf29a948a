package tags

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// countingSource answers from a map and records every lookup.
type countingSource struct {
	tags  map[string]Tags
	err   error
	calls [][]Ref
}

func (s *countingSource) Lookup(_ context.Context, refs []Ref) map[string]Answer {
	s.calls = append(s.calls, refs)
	out := map[string]Answer{}
	for _, r := range refs {
		if s.err != nil {
			out[r.ARN] = Answer{Err: s.err}
			continue
		}
		t, ok := s.tags[r.ARN]
		out[r.ARN] = Answer{Tags: t, Found: ok}
	}
	return out
}

const (
	instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
	bucket   = "arn:aws:s3:::apollo-data"
)

func res(arn string, requestTags Tags) Resource {
	return Resource{ARN: arn, Account: "111122223333", Region: "us-east-1", TagsOf: arn, RequestTags: requestTags}
}

func newResolver(src Source) (*Resolver, *MemoryKnown) {
	known := &MemoryKnown{}
	return &Resolver{Source: src, Cache: NewCache(time.Hour, 100, nil), Known: known}, known
}

func TestResolveRequestTagsWin(t *testing.T) {
	src := &countingSource{tags: map[string]Tags{instance: {"project": "zeus"}}}
	r, known := newResolver(src)
	got, err := r.Resolve(context.Background(), Touched{Account: "111122223333", Resources: []Resource{res(instance, Tags{"project": "apollo"})}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Resolved{Tags: Tags{"project": "apollo"}, Source: FromRequest}); !reflect.DeepEqual(got[instance], want) {
		t.Errorf("resolved %+v, want %+v", got[instance], want)
	}
	if len(src.calls) != 0 {
		t.Errorf("looked up %v though the request carried the tags", src.calls)
	}
	if k, ok, _ := known.Get(context.Background(), instance); !ok || !k.Has("project", "apollo") {
		t.Errorf("last known = %v, %v; want the request's tags", k, ok)
	}
}

func TestResolveCachesLookups(t *testing.T) {
	src := &countingSource{tags: map[string]Tags{instance: {"project": "apollo"}}}
	r, _ := newResolver(src)
	touched := Touched{Account: "111122223333", Resources: []Resource{res(instance, nil)}}
	for i, want := range []string{FromLookup, FromCache} {
		got, err := r.Resolve(context.Background(), touched)
		if err != nil {
			t.Fatal(err)
		}
		if got[instance].Source != want || !got[instance].Tags.Has("project", "apollo") {
			t.Errorf("resolve %d: %+v, want apollo from %s", i, got[instance], want)
		}
	}
	if len(src.calls) != 1 {
		t.Errorf("%d lookups, want 1 (the second from the cache)", len(src.calls))
	}
}

func TestResolveTagChangeBypassesCache(t *testing.T) {
	src := &countingSource{tags: map[string]Tags{instance: {"project": "apollo"}}}
	r, known := newResolver(src)
	r.Cache.Put(instance, Tags{"project": "old"})
	got, err := r.Resolve(context.Background(), Touched{Account: "111122223333", Resources: []Resource{res(instance, nil)}, TagChange: true})
	if err != nil {
		t.Fatal(err)
	}
	if got[instance].Source != FromLookup || !got[instance].Tags.Has("project", "apollo") {
		t.Errorf("after a tag change: %+v, want the looked-up tags", got[instance])
	}
	// An untag that removed the last tag: the resource is not listed any more, it has no tags.
	src.tags = map[string]Tags{}
	got, err = r.Resolve(context.Background(), Touched{Account: "111122223333", Resources: []Resource{res(instance, nil)}, TagChange: true})
	if err != nil {
		t.Fatal(err)
	}
	if got[instance].Source != FromLookup || len(got[instance].Tags) != 0 {
		t.Errorf("after removing every tag: %+v, want no tags from the lookup", got[instance])
	}
	if k, _, _ := known.Get(context.Background(), instance); len(k) != 0 {
		t.Errorf("last known %v, want none after every tag was removed", k)
	}
}

func TestResolveDeletedFallsBackToLastKnown(t *testing.T) {
	src := &countingSource{tags: map[string]Tags{}}
	r, known := newResolver(src)
	_ = known.Put(context.Background(), bucket, Tags{"project": "apollo"})
	got, err := r.Resolve(context.Background(), Touched{Account: "111122223333", Resources: []Resource{res(bucket, nil), res(instance, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Resolved{Tags: Tags{"project": "apollo"}, Source: FromLastKnown}); !reflect.DeepEqual(got[bucket], want) {
		t.Errorf("deleted bucket: %+v, want %+v", got[bucket], want)
	}
	if got[instance].Source != FromNone || got[instance].Unavailable {
		t.Errorf("never seen instance: %+v, want none, available", got[instance])
	}
}

func TestResolveFailedLookupIsUnavailable(t *testing.T) {
	denied := errors.New("AccessDenied")
	src := &countingSource{err: denied}
	r, known := newResolver(src)
	_ = known.Put(context.Background(), bucket, Tags{"project": "apollo"})
	got, err := r.Resolve(context.Background(), Touched{Account: "111122223333", Resources: []Resource{res(bucket, nil), res(instance, nil)}})
	if err != nil {
		t.Fatalf("a failed lookup failed Resolve: %v", err)
	}
	if b := got[bucket]; !b.Unavailable || b.Source != FromLastKnown || !b.Tags.Has("project", "apollo") || !errors.Is(b.Err, denied) {
		t.Errorf("bucket %+v, want unavailable with its last known tags", b)
	}
	if i := got[instance]; !i.Unavailable || i.Source != FromNone || len(i.Tags) != 0 {
		t.Errorf("instance %+v, want unavailable with no tags", i)
	}
}

func TestResolveObjectUsesBucketTags(t *testing.T) {
	src := &countingSource{tags: map[string]Tags{bucket: {"project": "apollo"}}}
	r, _ := newResolver(src)
	obj := Resource{ARN: bucket + "/a.txt", Account: "111122223333", Region: "us-east-1", TagsOf: bucket}
	obj2 := Resource{ARN: bucket + "/b.txt", Account: "111122223333", Region: "us-east-1", TagsOf: bucket}
	got, err := r.Resolve(context.Background(), Touched{Account: "111122223333", Resources: []Resource{obj, obj2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Resource{obj, obj2} {
		if !got[o.ARN].Tags.Has("project", "apollo") {
			t.Errorf("%s: %+v, want the bucket's tags", o.ARN, got[o.ARN])
		}
	}
	if len(src.calls) != 1 || len(src.calls[0]) != 1 || src.calls[0][0].ARN != bucket {
		t.Errorf("lookups %v, want one of the bucket", src.calls)
	}
}

type failingKnown struct{ MemoryKnown }

func (*failingKnown) Get(context.Context, string) (Tags, bool, error) {
	return nil, false, errors.New("ProvisionedThroughputExceededException")
}

func TestResolveKnownStoreFailureIsAnError(t *testing.T) {
	r := &Resolver{Source: &countingSource{}, Cache: NewCache(time.Hour, 10, nil), Known: &failingKnown{}}
	if _, err := r.Resolve(context.Background(), Touched{Account: "111122223333", Resources: []Resource{res(bucket, nil)}}); err == nil {
		t.Fatal("Resolve hid a failure of the last-known store")
	}
}

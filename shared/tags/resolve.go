package tags

import (
	"context"
	"fmt"
)

// Where a resource's tags came from.
const (
	FromRequest   = "request"    // the call itself set them
	FromCache     = "cache"      // read by an earlier lookup, within the cache TTL
	FromLookup    = "lookup"     // read now from the live APIs
	FromLastKnown = "last-known" // the resource is gone or unreadable: the last tags seen
	FromNone      = "none"       // nothing is known
	// FromOtherAccount: the resource is not in the event's account, so its tags are not
	// looked up (see Touched.Account); the change is recorded without tags, with a note.
	FromOtherAccount = "other-account"
)

// knownStore keeps the last tags seen for each resource (DynamoKnown, MemoryKnown).
type knownStore interface {
	Get(ctx context.Context, arn string) (Tags, bool, error)
	Put(ctx context.Context, arn string, tags Tags) error
}

// Resolved is the tags attributed to one resource.
type Resolved struct {
	Tags   Tags
	Source string // FromRequest, FromCache, FromLookup, FromLastKnown or FromNone
	// Unavailable: the lookup failed (Err says why); Tags are the last known ones, if any.
	Unavailable bool
	Err         error
	// Note says why the tags were not looked up (FromOtherAccount), for the record.
	Note string
}

// Resolver attributes tags to the resources of a change: request tags win, then the cache,
// then one batched lookup of the rest, then the last known tags of resources the lookup no
// longer finds or could not read. Every tag set read or set is remembered (cache and last
// known), so the delete of a resource carries the tags it had.
type Resolver struct {
	Source Source
	Cache  *Cache
	Known  knownStore
}

// Resolve returns the tags of each of touched's resources, by resource ARN. A failed lookup
// is not an error (the resource is marked Unavailable); the last-known store failing is. A
// resource outside the event's account (touched.Account) is not looked up, cached or taken
// from the request: it is FromOtherAccount, with no tags and a note. A request may name any
// account's resources; reading them would let any caller choose where the enricher reads,
// and assumes roles.
func (r *Resolver) Resolve(ctx context.Context, touched Touched) (map[string]Resolved, error) {
	out := make(map[string]Resolved, len(touched.Resources))
	pending := map[string][]string{} // TagsOf → resource ARNs waiting for its lookup
	var refs []Ref
	for _, res := range touched.Resources {
		if res.Account != touched.Account {
			out[res.ARN] = otherAccount(res.Account, touched.Account)
			continue
		}
		key := res.TagsOf
		if res.RequestTags != nil && key == res.ARN {
			out[res.ARN] = Resolved{Tags: res.RequestTags, Source: FromRequest}
			if err := r.remember(ctx, key, res.RequestTags); err != nil {
				return nil, err
			}
			continue
		}
		if touched.TagChange {
			r.Cache.Delete(key)
		} else if t, ok := r.Cache.Get(key); ok {
			out[res.ARN] = Resolved{Tags: t, Source: FromCache}
			continue
		}
		if _, asked := pending[key]; !asked {
			refs = append(refs, Ref{ARN: key, Account: res.Account, Region: res.Region})
		}
		pending[key] = append(pending[key], res.ARN)
	}
	if len(refs) == 0 {
		return out, nil
	}
	answers := r.Source.Lookup(ctx, refs)
	for _, ref := range refs {
		got, err := r.settle(ctx, ref.ARN, answers[ref.ARN], touched.TagChange)
		if err != nil {
			return nil, err
		}
		for _, arn := range pending[ref.ARN] {
			out[arn] = got
		}
	}
	return out, nil
}

// settle turns a lookup answer into the tags to record. After a tag change the resource
// exists, so not being listed means it has no tags left.
func (r *Resolver) settle(ctx context.Context, arn string, a Answer, tagChange bool) (Resolved, error) {
	if a.Err == nil && (a.Found || tagChange) {
		t := a.Tags
		if t == nil {
			t = Tags{}
		}
		return Resolved{Tags: t, Source: FromLookup}, r.remember(ctx, arn, t)
	}
	t, ok, err := r.Known.Get(ctx, arn)
	if err != nil {
		return Resolved{}, err
	}
	got := Resolved{Tags: t, Source: FromLastKnown, Unavailable: a.Err != nil, Err: a.Err}
	if !ok {
		got.Source = FromNone
	}
	return got, nil
}

// remember caches tags and stores them as the last known, unless the cache already holds
// exactly these (then the store does too).
func (r *Resolver) remember(ctx context.Context, arn string, t Tags) error {
	if prev, ok := r.Cache.Get(arn); ok && prev.Equal(t) {
		return nil
	}
	if err := r.Known.Put(ctx, arn, t); err != nil {
		return fmt.Errorf("remember tags: %w", err)
	}
	r.Cache.Put(arn, t)
	return nil
}

// otherAccount is what is recorded for a resource of another account than the event's.
func otherAccount(account, eventAccount string) Resolved {
	if eventAccount == "" {
		eventAccount = "unknown"
	}
	return Resolved{Tags: Tags{}, Source: FromOtherAccount,
		Note: fmt.Sprintf("resource of account %q, not the event's account (%s): tags not looked up", account, eventAccount)}
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/cloudaudit"
	"github.com/trailguard/trailguard/shared/cloudsign"
	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/trail"
)

// changeStore keeps change records once per event and resource: changelog.DynamoStore (AWS),
// localstate.Changes (-state DIR), changelog.MemoryStore.
type changeStore interface {
	Put(ctx context.Context, c changelog.Change) (changelog.Change, bool, error)
}

// tagResolver attributes tags to a change's resources (tags.Resolver).
type tagResolver interface {
	Resolve(ctx context.Context, touched tags.Touched) (map[string]tags.Resolved, error)
}

// changeLog writes the write events of every cloud into the business-view change log, the
// records tagenrich writes for AWS (changelog.Change: one per event × resource). Tags are
// looked up for Alibaba ECS instances and SLB load balancers (tags.Alibaba, with the source's
// key pair, other Resource Directory accounts through ResourceDirectoryAccountAccessRole),
// through the same resolver as AWS's (cache, last known tags); other resources are recorded
// with none.
type changeLog struct {
	Store changeStore
	// NewTags makes the tag source of an Alibaba source with its key pair; nil: no lookups.
	NewTags func(src Source, cred cloudsign.Credentials) tags.Source
	// Cache and Known are the resolver's (tags.NewCache, tags.MemoryKnown), shared by sources.
	Cache *tags.Cache
	Known interface {
		Get(ctx context.Context, arn string) (tags.Tags, bool, error)
		Put(ctx context.Context, arn string, t tags.Tags) error
	}
	Metrics counter

	mu        sync.Mutex
	resolvers map[string]sourceResolver // by source name
}

type sourceResolver struct {
	cred cloudsign.Credentials
	res  *tags.Resolver
}

// resolver is src's tag resolver for this poll: made once per source and key pair (a rotated
// key makes a new one, so no assumed session outlives the key that made it); nil when src's
// cloud has no tag lookup or the log has none.
func (c *changeLog) resolver(src Source, cred cloudsign.Credentials) tagResolver {
	if c == nil || c.NewTags == nil || src.Cloud != cloudaudit.Alibaba {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.resolvers[src.Name]
	if !ok || r.cred != cred {
		r = sourceResolver{cred: cred, res: &tags.Resolver{Source: c.NewTags(src, cred), Cache: c.Cache, Known: c.Known}}
		if c.resolvers == nil {
			c.resolvers = map[string]sourceResolver{}
		}
		c.resolvers[src.Name] = r
	}
	return r.res
}

// IsWrite reports whether a normalized record changes something: its readOnly when the cloud
// says (Alibaba eventRW, Tencent actionType, Huawei read_only), else its name does not start
// like a read (Describe, List, Get, Show, Query, Lookup, Search, Check, Head; any case, as
// Huawei names traces in lower camel case). Sign-ins and sign-outs are not changes.
func IsWrite(rec *trail.Record) bool {
	if rec.EventType == "AwsConsoleSignIn" || rec.EventName == "" {
		return false
	}
	if rec.ReadOnly.Present {
		return !rec.ReadOnly.Value
	}
	name := strings.ToLower(rec.EventName)
	for _, p := range []string{"describe", "list", "get", "show", "query", "lookup", "search", "check", "head"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

// record writes rec's change records when it is a write: one per resource (an Alibaba ECS or
// SLB resource named by its ARN, with its tags; any other by the cloud's name for it), or one
// without a resource. Each Put is conditional on the change's key (event ID and resource), so
// a retried event adds only the records missing. A nil log records nothing.
func (c *changeLog) record(ctx context.Context, log *slog.Logger, res tagResolver, rec *trail.Record) error {
	if c == nil || c.Store == nil || !IsWrite(rec) {
		return nil
	}
	at, err := rec.Time()
	if err != nil {
		log.WarnContext(ctx, "write event without a time, not in the change log", "error", err.Error())
		return nil
	}
	base := changelog.Change{
		Time: at.UTC().Format(changelog.TimeLayout), EventID: rec.EventID, EventName: rec.EventName, EventSource: rec.EventSource,
		Region: rec.AWSRegion, Account: rec.Account(), Principal: rec.UserIdentity.Principal(), UserName: rec.UserIdentity.Name(),
		UserType: rec.UserIdentity.Type, SourceIP: rec.SourceIPAddress, UserAgent: rec.UserAgent, ErrorCode: rec.ErrorCode,
		Tags: tags.Tags{}, TagsSource: tags.FromNone,
	}
	var changes []changelog.Change
	touched := tags.Touched{Account: base.Account}
	for _, r := range rec.Resources {
		ch := base
		ch.Resource, ch.ResourceType = r.ARN, r.Type
		if arn, ok := tags.AlibabaARN(r.Type, rec.AWSRegion, base.Account, r.ARN); ok && rec.Cloud == cloudaudit.Alibaba {
			ch.Resource = arn
			touched.Resources = append(touched.Resources, tags.Resource{ARN: arn, Type: r.Type, Account: base.Account, Region: rec.AWSRegion, TagsOf: arn})
		}
		changes = append(changes, ch)
	}
	if len(changes) == 0 {
		changes = []changelog.Change{base}
	}
	if len(touched.Resources) > 0 && res != nil {
		resolved, err := res.Resolve(ctx, touched)
		if err != nil {
			return fmt.Errorf("tags: %w", err)
		}
		for i := range changes {
			got, ok := resolved[changes[i].Resource]
			if !ok {
				continue
			}
			ch := &changes[i]
			ch.Tags, ch.TagsSource, ch.TagsUnavailable, ch.Note = got.Tags, got.Source, got.Unavailable, got.Note
			if ch.Tags == nil {
				ch.Tags = tags.Tags{}
			}
			if got.Unavailable {
				c.count("TagsUnavailable")
				log.WarnContext(ctx, "tags unavailable", "resource", ch.Resource, "error", fmt.Sprint(got.Err))
			}
		}
	}
	for _, ch := range changes {
		_, fresh, err := c.Store.Put(ctx, ch)
		if err != nil {
			return fmt.Errorf("write change %s: %w", ch.Key(), err)
		}
		if fresh {
			c.count("Changes")
		}
	}
	return nil
}

// count adds one to a metric, when the log has metrics.
func (c *changeLog) count(name string) {
	if c.Metrics != nil {
		c.Metrics.Add(name, 1)
	}
}

// Command tagenrich keeps a business-view change log: every mutating API call CloudTrail
// records, with the tags (project, cost centre, owner…) of the resource it touched, stored so
// auditors can ask for the changes by tag or by principal over a time range.
//
// Under Lambda it serves EventBridge "AWS API Call via CloudTrail" events. Anywhere else it
// replays events from files or stdin through the same handler, with tags from a JSON file
// (-tags; by default a copy of events/tags.json built into the binary), or with
// -query/-principal lists the changes stored in CHANGE_TABLE (docs/tagenrich.md).
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/localstate"
	"github.com/trailguard/trailguard/shared/tags"
)

// liveTags is the -tags value that reads tags from the live APIs instead of a file.
const liveTags = "aws"

// lookupMaxBackoff caps the wait between attempts of a tag, IAM or STS call.
const lookupMaxBackoff = 5 * time.Second

func main() {
	app := localrun.NewApp("tagenrich",
		"keeps a business-view change log: every mutating API call, with the tags (project, cost centre, owner…) of the resource it touched",
		"print one JSON object per change record (or alert) per line (no per-event lines)")
	app.Env = localrun.Env{Spec: &Config{}, Doc: map[string]string{
		"ONLY_WRITE":          "keep only mutating calls (readOnly false)",
		"SERVICES":            `event sources kept ("ec2" or "ec2.amazonaws.com"), comma-separated; empty: all`,
		"TAG_KEYS":            "tag keys the change table indexes for queries by tag",
		"RETENTION_DAYS":      "days a change record is kept (DynamoDB TTL)",
		"KNOWN_TAGS_DAYS":     "days a resource's last known tags outlive their last lookup",
		"ALERT_ON_TAGS":       "KEY=VALUE pairs: a change to a resource carrying one raises an alert",
		"CHANGE_TABLE":        "DynamoDB change log table; unset outside Lambda: records are kept in memory and printed",
		"KNOWN_TAGS_TABLE":    "DynamoDB table of last known tags (a deleted resource keeps its tags); unset: in memory",
		"HOME_ACCOUNT_ID":     "the enricher's own account; others are read through MEMBER_ROLE_NAME",
		"MEMBER_ROLE_NAME":    "role assumed in member accounts to read their tags",
		"MEMBER_ACCOUNTS":     "accounts whose MEMBER_ROLE_NAME may be assumed, comma-separated (with or instead of ORGANIZATION_ID)",
		"ORGANIZATION_ID":     "the organization (o-…) whose member accounts' MEMBER_ROLE_NAME may be assumed",
		"TAG_CACHE_TTL":       "how long looked-up tags are cached",
		"TAG_CACHE_SIZE":      "resources whose tags are cached",
		"LOOKUP_MAX_ATTEMPTS": "attempts per tag, IAM and STS call (throttling retried with backoff)",
	}}
	app.Modes = `-query KEY=VALUE [-principal ARN] [-since D]   list the changes to resources so tagged (from CHANGE_TABLE)
-principal ARN [-since D]                       list the changes by this principal (from CHANGE_TABLE)`
	tagsFile := app.Flags.String("tags", "", "JSON `FILE` of ARN → tags for a local run (default: the built-in copy of events/tags.json); \"aws\" reads the live APIs")
	tagQuery := app.Flags.String("query", "", "list the changes to resources tagged `KEY=VALUE` (from CHANGE_TABLE)")
	principal := app.Flags.String("principal", "", "list the changes by this principal `ARN` (from CHANGE_TABLE)")
	since := app.Flags.Duration("since", 24*time.Hour, "with -query/-principal: how far back to list")
	app.Parse()
	ctx := context.Background()

	cfg, err := loadConfig()
	if err != nil {
		app.Fail(err)
	}
	awsCfg, err := config.LoadAWS(ctx)
	if err != nil {
		app.Fail("aws config:", err)
	}
	out := &printer{W: app.Out, JSON: app.JSON}

	// -state DIR: the change log and the last known tags in DIR.
	var state *localstate.DB
	if dir := app.StateDir(); dir != "" {
		if state, err = localstate.Open(dir); err == nil {
			app.AtExit(state.Close)
		}
		app.FailState(err)
	}
	if (*tagQuery != "" || *principal != "") && !config.UnderLambda() {
		var db querier
		switch {
		case cfg.ChangeTable != "":
			db = newDynamoStore(awsCfg, cfg)
		case state != nil:
			changes, err := localstate.NewChanges(ctx, state)
			app.FailState(err)
			db = changes
		default:
			app.Fail(&config.Error{Var: "CHANGE_TABLE", Problem: "must be set (or -state DIR given) to query the change log"})
		}
		now := time.Now()
		q := query{Tag: *tagQuery, Principal: *principal, From: now.Add(-*since), To: now}
		if _, err := q.run(ctx, db, out); err != nil {
			localrun.Exit(localrun.ExitMalformed, err)
		}
		app.Exit(localrun.ExitOK)
		return
	}

	resolver := &tags.Resolver{Cache: tags.NewCache(cfg.CacheTTL, cfg.CacheSize, nil), Known: &tags.MemoryKnown{}}
	if cfg.KnownTagsTable != "" {
		resolver.Known = &tags.DynamoKnown{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.KnownTagsTable,
			Retain: time.Duration(cfg.KnownTagsDays) * 24 * time.Hour}
	}
	switch {
	case config.UnderLambda() || *tagsFile == liveTags:
		// Throttling is retried by each client's standard retryer, with jittered exponential
		// backoff capped at lookupMaxBackoff, so a throttled lookup fits the function's timeout.
		retryer := func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), cfg.LookupAttempts), lookupMaxBackoff)
		}
		resolver.Source = &tags.AWS{
			Tagging:  rgt.NewFromConfig(awsCfg, func(o *rgt.Options) { o.Retryer = retryer() }),
			IAM:      iam.NewFromConfig(awsCfg, func(o *iam.Options) { o.Retryer = retryer() }),
			Accounts: cfg.accounts(sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.Retryer = retryer() })),
		}
	case *tagsFile == "":
		static, err := embeddedTags()
		if err != nil {
			app.Fail(err)
		}
		resolver.Source = static
	default:
		static, err := tags.LoadStatic(*tagsFile)
		if err != nil {
			app.Fail("-tags:", err)
		}
		resolver.Source = static
	}
	var store changeStore = &MemoryStore{}
	if cfg.ChangeTable != "" {
		store = newDynamoStore(awsCfg, cfg)
	}
	if state != nil {
		if cfg.ChangeTable == "" {
			changes, err := localstate.NewChanges(ctx, state)
			app.FailState(err)
			store = changes
		}
		if cfg.KnownTagsTable == "" {
			known, err := localstate.NewKnown(ctx, state)
			app.FailState(err)
			known.Retain = time.Duration(cfg.KnownTagsDays) * 24 * time.Hour
			resolver.Known = known
		}
	}
	sender, err := cfg.Config.Config.NewSender(func() (aws.Config, error) { return awsCfg, nil },
		alert.Local{Out: app.Out, JSON: app.JSON}, app.Log, app.Metrics)
	if err != nil {
		app.Fail(err)
	}
	app.UseState(sender, cfg.Config.Config)
	h := &Handler{
		OnlyWrite: cfg.OnlyWrite,
		Services:  cfg.services,
		AlertOn:   cfg.alertOn,
		Tags:      resolver,
		Store:     store,
		Alerts:    sender,
		Log:       app.Log,
		Metrics:   app.Metrics,
	}
	app.Log.Info("tagenrich ready", "only_write", cfg.OnlyWrite, "services", cfg.Services, "tag_keys", cfg.TagKeys,
		"alert_on_tags", cfg.AlertOnTags, "member_role", cfg.MemberRoleName)
	if !config.UnderLambda() {
		h.Store = &printingStore{changeStore: store, out: out}
	}
	app.Serve(ctx, h.Handle)
}

func newDynamoStore(awsCfg aws.Config, cfg settings) *DynamoStore {
	return &DynamoStore{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.ChangeTable, IndexKeys: cfg.TagKeys,
		Retain: time.Duration(cfg.RetentionDays) * 24 * time.Hour}
}

// Command tagenrich keeps a business-view change log: every mutating API call CloudTrail
// records, with the tags (project, cost centre, owner…) of the resource it touched, stored so
// auditors can ask for the changes by tag or by principal over a time range.
//
// Under Lambda it serves EventBridge "AWS API Call via CloudTrail" events. Anywhere else it
// replays events from files or stdin through the same handler, with tags from a JSON file
// (-tags), or with -query/-principal lists the changes stored in CHANGE_TABLE (see README
// "Tag enricher").
package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/tags"
)

// liveTags is the -tags value that reads tags from the live APIs instead of a file.
const liveTags = "aws"

// lookupMaxBackoff caps the wait between attempts of a tag, IAM or STS call.
const lookupMaxBackoff = 5 * time.Second

func main() {
	jsonOut := flag.Bool("json", false, "print one JSON object per change record (or alert) per line")
	tagsFile := flag.String("tags", "events/tags.json", `JSON file of ARN → tags for local replay; "aws" reads the live APIs`)
	tagQuery := flag.String("query", "", "list the changes to resources tagged KEY=VALUE (from CHANGE_TABLE)")
	principal := flag.String("principal", "", "list the changes by this principal ARN (from CHANGE_TABLE)")
	since := flag.Duration("since", 24*time.Hour, "with -query/-principal: how far back to list")
	flag.Parse()
	ctx := context.Background()
	log := logging.New(os.Stderr)

	cfg, err := loadConfig()
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, "aws config:", err)
	}
	out := &printer{W: os.Stdout, JSON: *jsonOut}

	if *tagQuery != "" || *principal != "" {
		if cfg.ChangeTable == "" {
			localrun.Exit(localrun.ExitConfig, &config.Error{Var: "CHANGE_TABLE", Problem: "must be set to query the change log"})
		}
		now := time.Now()
		q := query{Tag: *tagQuery, Principal: *principal, From: now.Add(-*since), To: now}
		if _, err := q.run(ctx, newDynamoStore(awsCfg, cfg), out); err != nil {
			localrun.Exit(localrun.ExitMalformed, err)
		}
		return
	}

	resolver := &tags.Resolver{Cache: tags.NewCache(cfg.CacheTTL, cfg.CacheSize, nil), Known: &tags.MemoryKnown{}}
	if cfg.KnownTagsTable != "" {
		resolver.Known = &tags.DynamoKnown{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.KnownTagsTable,
			Retain: time.Duration(cfg.KnownTagsDays) * 24 * time.Hour}
	}
	if config.UnderLambda() || *tagsFile == liveTags {
		// Throttling is retried by each client's standard retryer, with jittered exponential
		// backoff capped at lookupMaxBackoff, so a throttled lookup fits the function's timeout.
		retryer := func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), cfg.LookupAttempts), lookupMaxBackoff)
		}
		resolver.Source = &tags.AWS{
			Tagging: rgt.NewFromConfig(awsCfg, func(o *rgt.Options) { o.Retryer = retryer() }),
			IAM:     iam.NewFromConfig(awsCfg, func(o *iam.Options) { o.Retryer = retryer() }),
			Accounts: &tags.Accounts{Home: cfg.HomeAccount, RoleName: cfg.MemberRoleName,
				STS: sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.Retryer = retryer() })},
		}
	} else {
		static, err := tags.LoadStatic(*tagsFile)
		if err != nil {
			localrun.Exit(localrun.ExitConfig, "-tags:", err)
		}
		resolver.Source = static
	}
	var store changeStore = &MemoryStore{}
	if cfg.ChangeTable != "" {
		store = newDynamoStore(awsCfg, cfg)
	}
	counters := &metrics.Counters{Function: "tagenrich"}
	sender, err := cfg.Config.Config.NewSender(func() (aws.Config, error) { return awsCfg, nil },
		alert.Local{Out: os.Stdout, JSON: *jsonOut}, log, counters)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	h := &Handler{
		OnlyWrite: cfg.OnlyWrite,
		Services:  cfg.services,
		AlertOn:   cfg.alertOn,
		Tags:      resolver,
		Store:     store,
		Alerts:    sender,
		Log:       log,
		Metrics:   counters,
	}
	log.Info("tagenrich ready", "only_write", cfg.OnlyWrite, "services", cfg.Services, "tag_keys", cfg.TagKeys,
		"alert_on_tags", cfg.AlertOnTags, "member_role", cfg.MemberRoleName)

	if config.UnderLambda() {
		lambda.Start(counters.Flushing(os.Stdout, h.Handle))
		return
	}
	h.Store = &printingStore{changeStore: store, out: out}
	replay := localrun.Options{}
	if !*jsonOut {
		replay.Announce = os.Stdout
	}
	os.Exit(replay.Replay(ctx, flag.Args(), os.Stdin, os.Stderr, counters.Flushing(os.Stderr, h.Handle)))
}

func newDynamoStore(awsCfg aws.Config, cfg settings) *DynamoStore {
	return &DynamoStore{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.ChangeTable, IndexKeys: cfg.TagKeys,
		Retain: time.Duration(cfg.RetentionDays) * 24 * time.Hour}
}

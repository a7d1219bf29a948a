// Command cloudpoll polls the audit APIs of Huawei Cloud (CTS ListTraces), Alibaba Cloud
// (ActionTrail LookupEvents) and Tencent Cloud (CloudAudit DescribeEvents), normalizes their
// records into trailguard's record model and runs the same sign-in checks and rules as on AWS.
//
// Under Lambda it is invoked every minute by EventBridge Scheduler and polls the SOURCES;
// anywhere else it reads saved API response pages (one page per file, exactly as the API
// returns it) of the -cloud named and prints the alerts as logincheck does.
package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	json "github.com/goccy/go-json"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/cloudaudit"
	"github.com/trailguard/trailguard/shared/cloudsign"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/signin"
	"github.com/trailguard/trailguard/shared/tags"
)

func main() {
	app := localrun.NewApp("cloudpoll",
		"polls Huawei CTS, Alibaba ActionTrail and Tencent CloudAudit (SOURCES) and runs the sign-in checks and rules on their events",
		"print one JSON object per alert per line (no per-event lines)")
	app.Env = localrun.Env{Spec: &Config{}, Local: localDefaults, Doc: map[string]string{
		"SOURCES":                   `the audit APIs to poll, a JSON array of {"name","cloud","endpoint","region","project_id","secret_arn"[,"delay"]}`,
		"CLOUDPOLL_TABLE":           "DynamoDB table of the sources' cursors and the event IDs already processed (required under Lambda)",
		"SECRETS_FILE":              "local runs only: a JSON file of secret ARN → key pair, standing in for Secrets Manager",
		"FIRST_POLL_LOOKBACK":       "how far back a source's first poll reads",
		"ALLOWED_CIDRS":             "trusted source networks (the one allowlist of every cloud), IPv4 and IPv6 CIDRs; a sign-in or sign-out from elsewhere is a HIGH alert",
		"ALLOWED_SOURCES":           "trusted non-IP sources, comma-separated",
		"ALERT_FAILED_SIGN_IN":      "alert on a failed sign-in (MEDIUM)",
		"ALERT_ROOT_SIGN_IN":        "alert on a primary-account (root) sign-in (HIGH)",
		"ALERT_SIGN_IN_WITHOUT_MFA": "alert on a sign-in without MFA (MEDIUM)",
		"COUNTERS_TABLE":            "the god view's counters table: every polled event counts there, per cloud (unset: in memory)",
		"COUNTER_RETENTION_DAYS":    "how long counters are kept (as aggregate's RETENTION_DAYS)",
		"CHANGE_TABLE":              "the change log table: write events, with Alibaba ECS and SLB tags (unset: in memory)",
		"CHANGE_RETENTION_DAYS":     "how long change records are kept (as tagenrich's RETENTION_DAYS)",
		"TAG_KEYS":                  "tag keys the change log indexes (as tagenrich's)",
		"TAG_CACHE_TTL":             "how long looked-up Alibaba tags are reused",
		"KNOWN_TAGS_TABLE":          "the last known tags of resources (tagenrich's table), so a deleted resource's change keeps its tags (unset: in memory)",
		"KNOWN_TAGS_DAYS":           "days a resource's last known tags outlive their last lookup",
	}}
	app.Modes = "-cloud huawei|alibaba|tencent FILE…   run saved API response pages (one page per file) through the checks\n" +
		"-poll                                 poll the SOURCES once (keys from SECRETS_FILE) and exit"
	cloud := app.Flags.String("cloud", "", "the `CLOUD` (huawei, alibaba, tencent) whose saved response pages the files are")
	region := app.Flags.String("region", "", "the `REGION` the saved Huawei pages were read in (traces carry none)")
	pollOnce := app.Flags.Bool("poll", false, "poll the SOURCES once and exit")
	app.Subject = func(raw json.RawMessage) string { return *cloud + " page" }
	app.Parse()
	ctx := context.Background()

	cfg, allow, err := loadConfig()
	if err != nil {
		app.Fail(err)
	}
	loadAWS := alert.LoadDefaultAWS(ctx)
	engine, err := cfg.Build(pack.FS)
	if err != nil {
		app.Fail(err)
	}
	sender, err := cfg.NewSender(loadAWS, alert.Local{Out: app.Out, JSON: app.JSON}, app.Log, app.Metrics)
	if err != nil {
		app.Fail(err)
	}
	// Threshold counts (failed sign-in bursts) live in the alert state table next to the alert
	// claims, as the rules function keeps them.
	var counts rules.Counter = &rules.MemoryCounter{}
	if cfg.Config.StateTable != "" {
		awsCfg, err := loadAWS()
		if err != nil {
			app.Fail("aws config:", err)
		}
		counts = &rules.DynamoCounter{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.Config.StateTable}
	}
	changes := &changeLog{Store: &changelog.MemoryStore{}, Cache: tags.NewCache(cfg.TagCacheTTL, 10000, nil), Known: &tags.MemoryKnown{},
		Metrics: app.Metrics, NewTags: alibabaTags}
	h := &Handler{
		Sources: cfg.sources,
		Fetch:   &Client{HTTP: &http.Client{Timeout: 20 * time.Second}, Now: time.Now, Pace: NewPacers(time.Now, sleep)},
		State:   &MemoryState{},
		SignIn: signin.Checker{Allow: allow, FailedSignIn: cfg.FailedSignIn, RootSignIn: cfg.RootSignIn,
			SignInWithoutMFA: cfg.SignInWithoutMFA},
		Alerts: sender, Log: app.Log, Metrics: app.Metrics, Counts: &counters.Memory{}, Changes: changes,
		Now: time.Now, Sleep: sleep, Lookback: cfg.Lookback,
		Backoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second, Margin: 5 * time.Second,
		SeenFor: 48 * time.Hour,
	}
	// -state DIR: cursors and seen events, counters, change log, threshold counts and the
	// alert ledger and history in DIR's database, wherever no DynamoDB table is configured.
	counts = useLocalState(ctx, app, cfg, h, changes, counts)
	app.UseState(sender, cfg.Config)
	detect, err := rules.NewDetector(engine, counts)
	if err != nil {
		app.Fail(err)
	}
	h.Rules = detect
	if config.UnderLambda() || *pollOnce {
		// Key pairs from Secrets Manager under Lambda (loadConfig refuses SECRETS_FILE there),
		// from SECRETS_FILE in a local poll; the state in CLOUDPOLL_TABLE when it is set
		// (required under Lambda), else in memory.
		if cfg.SecretsFile != "" {
			h.Secrets = FileSecrets{Path: cfg.SecretsFile}
		}
		if h.Secrets == nil && !config.UnderLambda() {
			app.Fail(&config.Error{Var: "SECRETS_FILE", Problem: "a local -poll reads the key pairs from this file (secret ARN → its JSON); it never reads Secrets Manager"})
		}
		if h.Secrets == nil || cfg.PollTable != "" {
			awsCfg, err := loadAWS()
			if err != nil {
				app.Fail("aws config:", err)
			}
			if h.Secrets == nil {
				h.Secrets = SecretsManager{Client: secretsmanager.NewFromConfig(awsCfg)}
			}
			if cfg.PollTable != "" {
				h.State = &DynamoState{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.PollTable, Now: time.Now}
			}
		}
		if cfg.CountersTable != "" || cfg.ChangeTable != "" || cfg.KnownTagsTable != "" {
			awsCfg, err := loadAWS()
			if err != nil {
				app.Fail("aws config:", err)
			}
			db := dynamodb.NewFromConfig(awsCfg)
			if cfg.CountersTable != "" {
				h.Counts = &counters.Table{Client: db, Name: cfg.CountersTable, Retention: time.Duration(cfg.CounterRetentionDays) * 24 * time.Hour}
			}
			if cfg.ChangeTable != "" {
				changes.Store = &changelog.DynamoStore{Client: db, Table: cfg.ChangeTable, IndexKeys: cfg.TagKeys,
					Retain: time.Duration(cfg.ChangeRetentionDays) * 24 * time.Hour}
			}
			if cfg.KnownTagsTable != "" {
				changes.Known = &tags.DynamoKnown{Client: db, Table: cfg.KnownTagsTable, Retain: time.Duration(cfg.KnownTagsDays) * 24 * time.Hour}
			}
		}
		app.Log.Info("cloudpoll ready", "sources", len(h.Sources), "allowlist_prefixes", allow.Len(), "state_table", cfg.PollTable,
			"counters_table", cfg.CountersTable, "change_table", cfg.ChangeTable)
		if *pollOnce {
			err := h.HandleSchedule(ctx, nil)
			_ = app.FlushMetrics()
			if err != nil {
				fmt.Fprintln(app.Stderr(), err)
				app.Exit(localrun.ExitMalformed)
			}
			app.Exit(localrun.ExitOK)
			return
		}
		app.Serve(ctx, h.HandleSchedule)
		return
	}
	if !slices.Contains(cloudaudit.Clouds, *cloud) {
		app.Fail(fmt.Sprintf("cloudpoll: -cloud %q: want huawei, alibaba or tencent (the cloud whose response pages the files are)", *cloud))
	}
	app.Serve(ctx, h.HandlePage(*cloud, *region))
}

// alibabaTags is the tag source of an Alibaba source: its key pair reads its own account's
// ECS and SLB tags, and assumes the member role in the others.
func alibabaTags(src Source, cred cloudsign.Credentials) tags.Source {
	return &tags.Alibaba{HTTP: &http.Client{Timeout: 10 * time.Second}, Credentials: cred, Home: src.AccountID, MemberRole: src.MemberRole,
		Now: time.Now, Sleep: sleep}
}

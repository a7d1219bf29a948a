// Command aggregate counts every delivered CloudTrail log file into hourly counters per
// account, principal, source IP, event name, resource type, error code and event type (the
// "god view"), exactly once per file, and alerts when a threshold rule's counter crosses its
// threshold (failed sign-ins per source IP, access denied per principal, per hour).
//
// Under Lambda it serves S3 notifications, EventBridge "Object Created" events and SQS batches
// of either. Anywhere else it replays events from files or stdin through the same handler,
// reading the objects from -bucket-dir (default: the embedded sample bucket, a copy of
// events/aggregate/data), or with -file PATH counts one log file on disk. Without
// COUNTERS_TABLE a local run keeps the counters in memory and prints them (docs/aggregate.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	samples "github.com/trailguard/trailguard/events"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/localstate"
	"github.com/trailguard/trailguard/shared/rules"
)

func main() {
	app := localrun.NewApp("aggregate",
		"counts each delivered CloudTrail log file into hourly counters (the god view), once, and alerts when a threshold rule crosses",
		"print one JSON object per counter row, per alert and per file summary, one per line (no per-event lines)")
	local := map[string]string{}
	for k, v := range localDefaults {
		local[k] = v
	}
	local["BUCKET_DIR"] = "the embedded sample bucket (" + localDefaults["BUCKET_DIR"] + ")"
	app.Env = localrun.Env{Spec: &Config{}, Local: local, Doc: map[string]string{
		"COUNTERS_TABLE":          "DynamoDB counters table; unset outside Lambda: counters are kept in memory and printed",
		"FAILED_SIGNIN_THRESHOLD": "failed sign-ins from one source IP per hour that raise an alert; 0: off",
		"ACCESS_DENIED_THRESHOLD": "denied calls of one principal per hour that raise an alert; 0: off",
		"ACCESS_DENIED_CODES":     "errorCode values the access-denied threshold counts",
		"WRITE_CONCURRENCY":       "counter writes in flight at once",
		"BUCKET_DIR":              "outside Lambda: folder standing in for the bucket (key k is BUCKET_DIR/k); set it empty to read from S3",
		"LOG_FILE_RULES":          `"all": run the detection rules over every record of each file; "off"`,
		"MAX_COUNTERS":            "distinct counters a file's tally holds in memory before they are written as a part (150000 fits 128 MB, about 800000 fits 512 MB)",
	}}
	app.Modes = "-file PATH   count one log file on disk (.json.gz or plain) and exit"
	file := app.Flags.String("file", "", "count this log file on disk (`PATH`, .json.gz or plain) and exit")
	bucketDir := app.Flags.String("bucket-dir", "", "read announced objects from this `DIR` (key k is DIR/k) instead of S3; default BUCKET_DIR")
	app.Parse()
	ctx := context.Background()

	_, bucketDirSet := os.LookupEnv("BUCKET_DIR")
	cfg, err := loadConfig()
	if err != nil {
		app.Fail(err)
	}
	// Outside Lambda, with neither BUCKET_DIR nor -bucket-dir, objects come from the sample
	// bucket built into the binary: the samples replay from any working directory.
	embedded := !config.UnderLambda() && !bucketDirSet
	app.Flags.Visit(func(f *flag.Flag) {
		if f.Name == "bucket-dir" && !config.UnderLambda() {
			cfg.BucketDir, embedded = *bucketDir, false
		}
	})
	if cfg.BucketDir != "" && *file == "" && !embedded {
		if info, err := os.Stat(cfg.BucketDir); err != nil || !info.IsDir() {
			app.Fail(fmt.Sprintf("configuration: BUCKET_DIR (-bucket-dir): %q is not a directory: give a folder, "+
				"leave BUCKET_DIR unset for the embedded sample bucket, or set BUCKET_DIR= (empty) to read the objects from S3", cfg.BucketDir))
		}
	}
	loadAWS := alert.LoadDefaultAWS(ctx)
	sender, err := cfg.Config.NewSender(loadAWS, alert.Local{Out: app.Out, JSON: app.JSON}, app.Log, app.Metrics)
	if err != nil {
		app.Fail(err)
	}
	app.UseState(sender, cfg.Config) // -state DIR: the alert ledger and history in DIR
	h := &Handler{
		Objects: dirObjects{Dir: cfg.BucketDir},
		Store:   &counters.Memory{},
		Alerts:  sender,
		Rules:   Rules{FailedSignIns: cfg.FailedSignInThreshold, AccessDenied: cfg.AccessDeniedThreshold, DeniedCodes: map[string]bool{}},
		Layout:  keylayout.CloudTrail().WithPrefix(cfg.TrailPrefix),
		Bucket:  cfg.TrailBucket,
		// MaxCounters bounds a file's memory: the default fits the template's 128 MB.
		MaxCounters: cfg.MaxCounters,
		Log:         app.Log,
		Metrics:     app.Metrics,
	}
	if embedded {
		h.Objects = fsObjects{FS: samples.AggregateBucket()}
	}
	for _, code := range cfg.AccessDeniedCodes {
		h.Rules.DeniedCodes[code] = true
	}
	var stateTable *dynamodb.Client // the alert state table's client, for rule thresholds
	if cfg.CountersTable != "" || cfg.StateTable != "" || cfg.BucketDir == "" && *file == "" {
		base, err := loadAWS()
		if err != nil {
			app.Fail("aws config:", err)
		}
		awsCfg := base.Copy()
		awsCfg.Retryer = func() aws.Retryer {
			// A big file writes thousands of counters: ride out throttling rather than fail.
			return retry.AddWithMaxAttempts(retry.NewStandard(), 8)
		}
		if cfg.CountersTable != "" {
			h.Store = cfg.table(dynamodb.NewFromConfig(awsCfg))
		}
		if cfg.StateTable != "" {
			stateTable = dynamodb.NewFromConfig(awsCfg)
		}
		if cfg.BucketDir == "" {
			h.Objects = &s3Objects{Client: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
				// A custom endpoint (an emulator) does not resolve buckets as subdomains.
				o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
				// Log files uploaded without a checksum are common: no log line per file for it.
				o.DisableLogOutputChecksumValidationSkipped = true
			})}
		}
	}
	if dir := app.StateDir(); dir != "" && cfg.CountersTable == "" { // -state DIR: the counters in DIR
		db, err := localstate.Open(dir)
		app.FailState(err)
		app.AtExit(db.Close)
		store, err := localstate.NewCounters(ctx, db)
		app.FailState(err)
		h.Store = store
	}
	if cfg.LogFileRules == "all" {
		var counts rules.Counter // nil: in memory
		switch dir := app.StateDir(); {
		case stateTable != nil:
			counts = &rules.DynamoCounter{Client: stateTable, Table: cfg.StateTable}
		case dir != "": // -state DIR: the log-file rules' threshold counts outlive the run
			db, err := localstate.Open(dir)
			app.FailState(err)
			app.AtExit(db.Close)
			rc, err := db.RuleCounter()
			app.FailState(err)
			counts = rc
		}
		if h.Detect, err = newDetector(cfg, counts); err != nil {
			app.Fail(err)
		}
	}
	app.Log.Info("aggregate ready", "log_file_rules", cfg.LogFileRules, "counters_table", cfg.CountersTable, "trail_bucket", cfg.TrailBucket, "layout", h.Layout.String(),
		"bucket_dir", cfg.BucketDir, "embedded_bucket", embedded, "failed_signin_threshold", cfg.FailedSignInThreshold,
		"access_denied_threshold", cfg.AccessDeniedThreshold, "retention_days", cfg.RetentionDays)

	if !config.UnderLambda() {
		h.Report = (&printer{W: app.Out, JSON: app.JSON}).Print
	}
	if *file != "" && !config.UnderLambda() {
		code := aggregateFile(ctx, h, app.Log, *file, app.Stderr())
		if err := app.FlushMetrics(); err != nil {
			fmt.Fprintln(app.Stderr(), err)
		}
		app.Exit(code)
		return
	}
	app.ServeBatch(ctx, h.Handle)
}

// Command aggregate counts every delivered CloudTrail log file into hourly counters per
// account, principal, source IP, event name, resource type, error code and event type (the
// "god view"), exactly once per file, and alerts when a threshold rule's counter crosses its
// threshold (failed sign-ins per source IP, access denied per principal, per hour).
//
// Under Lambda it serves S3 notifications, EventBridge "Object Created" events and SQS batches
// of either. Anywhere else it replays events from files or stdin through the same handler,
// reading the objects from -bucket-dir (default: the sample bucket events/aggregate/data), or
// with -file PATH counts one log file on disk. Without COUNTERS_TABLE a local run keeps the
// counters in memory and prints them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/metrics"
)

func main() {
	jsonOut := flag.Bool("json", false, "print one JSON object per counter row, per alert and per file summary, one per line")
	file := flag.String("file", "", "count this log file on disk (.json.gz or plain) and exit")
	bucketDir := flag.String("bucket-dir", "", "read announced objects from this folder (key k is DIR/k) instead of S3; default BUCKET_DIR")
	flag.Parse()
	ctx := context.Background()
	log := logging.New(os.Stderr)

	cfg, err := loadConfig()
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "bucket-dir" && !config.UnderLambda() {
			cfg.BucketDir = *bucketDir
		}
	})
	if cfg.BucketDir != "" && *file == "" {
		if info, err := os.Stat(cfg.BucketDir); err != nil || !info.IsDir() {
			localrun.Exit(localrun.ExitConfig, fmt.Sprintf("configuration: BUCKET_DIR (-bucket-dir): %q is not a directory: run from the repository root, "+
				"give -bucket-dir, or set BUCKET_DIR= (empty) to read the objects from S3", cfg.BucketDir))
		}
	}
	metricsOut := &metrics.Counters{Function: "aggregate"}
	loadAWS := alert.LoadDefaultAWS(ctx)
	sender, err := cfg.Config.NewSender(loadAWS, alert.Local{Out: os.Stdout, JSON: *jsonOut}, log, metricsOut)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	h := &Handler{
		Objects: dirObjects{Dir: cfg.BucketDir},
		Store:   &counters.Memory{},
		Alerts:  sender,
		Rules:   Rules{FailedSignIns: cfg.FailedSignInThreshold, AccessDenied: cfg.AccessDeniedThreshold, DeniedCodes: map[string]bool{}},
		Layout:  keylayout.CloudTrail().WithPrefix(cfg.TrailPrefix),
		Bucket:  cfg.TrailBucket,
		Log:     log,
		Metrics: metricsOut,
	}
	for _, code := range cfg.AccessDeniedCodes {
		h.Rules.DeniedCodes[code] = true
	}
	var stateTable *dynamodb.Client // the alert state table's client, for rule thresholds
	if cfg.CountersTable != "" || cfg.StateTable != "" || cfg.BucketDir == "" && *file == "" {
		base, err := loadAWS()
		if err != nil {
			localrun.Exit(localrun.ExitConfig, "aws config:", err)
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
	if cfg.LogFileRules == "all" {
		if h.Detect, err = newDetector(cfg, stateTable); err != nil {
			localrun.Exit(localrun.ExitConfig, err)
		}
	}
	log.Info("aggregate ready", "log_file_rules", cfg.LogFileRules, "counters_table", cfg.CountersTable, "trail_bucket", cfg.TrailBucket, "layout", h.Layout.String(),
		"bucket_dir", cfg.BucketDir, "failed_signin_threshold", cfg.FailedSignInThreshold,
		"access_denied_threshold", cfg.AccessDeniedThreshold, "retention_days", cfg.RetentionDays)

	if config.UnderLambda() {
		lambda.Start(metrics.FlushingWith(metricsOut, os.Stdout, h.Handle))
		return
	}
	h.Report = (&printer{W: os.Stdout, JSON: *jsonOut}).Print
	if *file != "" {
		code := aggregateFile(ctx, h, log, *file, os.Stderr)
		if err := metricsOut.Flush(os.Stderr, time.Now()); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(code)
	}
	replay := localrun.Options{}
	if !*jsonOut {
		replay.Announce = os.Stdout
	}
	os.Exit(replay.Replay(ctx, flag.Args(), os.Stdin, os.Stderr, metricsOut.Flushing(os.Stderr, localrun.WithBatchFailures(h.Handle))))
}

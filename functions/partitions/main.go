// Command partitions registers the partition of each delivered audit log file in the Glue
// Data Catalog, once, so Athena can query the file as soon as it lands.
//
// Under Lambda it serves S3 notifications, EventBridge "Object Created" events and SQS
// batches of either. Anywhere else it replays events from files or stdin through the same
// handler, or with -backfill s3://bucket/prefix/ [-since YYYY-MM-DD] registers the
// partitions of the files already in the bucket. Without PARTITION_LEDGER_TABLE a local run
// calls nothing and prints the partitions it would register.
package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/metrics"
)

func main() {
	jsonOut := flag.Bool("json", false, "print one JSON object per newly registered partition per line")
	backfillTarget := flag.String("backfill", "", "s3://bucket/prefix/: register the partitions of the files already there")
	since := flag.String("since", "", "YYYY-MM-DD: with -backfill, skip partitions before this day")
	flag.Parse()
	log := logging.New(os.Stderr)
	ctx := context.Background()

	cfg, layout, err := loadConfig()
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	bf, err := parseBackfill(*backfillTarget, *since)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	counters := &metrics.Counters{Function: "partitions"}
	h := &Handler{
		Layout:   layout,
		Columns:  layout.Columns(),
		Bucket:   cfg.TrailBucket,
		Table:    cfg.table(),
		Registry: &memoryRegistry{},
		Log:      log,
		Metrics:  counters,
	}
	var awsCfg aws.Config
	if cfg.LedgerTable != "" || bf != nil {
		if awsCfg, err = awsconfig.LoadDefaultConfig(ctx); err != nil {
			localrun.Exit(localrun.ExitConfig, "aws config:", err)
		}
	}
	if cfg.LedgerTable != "" {
		h.Registry = &catalog.Registry{
			Table:  h.Table,
			Glue:   &catalog.Registrar{Glue: glue.NewFromConfig(awsCfg), Table: h.Table, Columns: h.Columns},
			Ledger: &catalog.Ledger{DB: dynamodb.NewFromConfig(awsCfg), TableName: cfg.LedgerTable, UnprocessedRetries: 3},
		}
	}

	log.Info("partitions ready", "table", h.Table.String(), "layout", layout.String(), "columns", h.Columns,
		"trail_bucket", cfg.TrailBucket, "ledger", cfg.LedgerTable)

	if config.UnderLambda() {
		lambda.Start(metrics.FlushingWith(counters, os.Stdout, h.Handle))
		return
	}
	h.Report = (&printer{W: os.Stdout, JSON: *jsonOut, Table: h.Table, Columns: h.Columns}).Print
	if bf != nil {
		client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			// A custom endpoint (an emulator) does not resolve buckets as subdomains.
			o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
		})
		_, err := h.Backfill(ctx, &s3Lister{Client: client, Bucket: bf.Bucket}, bf)
		if ferr := counters.Flush(os.Stderr, time.Now()); ferr != nil && err == nil {
			err = ferr
		}
		if err != nil {
			localrun.Exit(localrun.ExitMalformed, err)
		}
		os.Exit(localrun.ExitOK)
	}
	replay := localrun.Options{}
	if !*jsonOut {
		replay.Announce = os.Stdout // "▶ FILE:LINE" before each event's lines
	}
	os.Exit(replay.Replay(ctx, flag.Args(), os.Stdin, os.Stderr, counters.Flushing(os.Stderr, localrun.WithBatchFailures(h.Handle))))
}

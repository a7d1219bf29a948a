// Command partitions registers the partition of each delivered audit log file in the Glue
// Data Catalog, once, so Athena can query the file as soon as it lands.
//
// Under Lambda it serves S3 notifications, EventBridge "Object Created" events and SQS
// batches of either. Anywhere else it replays events from files or stdin through the same
// handler, or with -backfill s3://bucket/prefix/ [-since YYYY-MM-DD] registers the
// partitions of the files already in the bucket. Without PARTITION_LEDGER_TABLE a local run
// calls nothing and prints the partitions it would register (docs/partitions.md).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
)

func main() {
	app := localrun.NewApp("partitions",
		"registers the Glue partition of each delivered log file, once, so Athena can query it as soon as it lands",
		"print one JSON object per newly registered partition per line (no per-event lines)")
	app.Env = localrun.Env{Spec: &Config{}, Local: localDefaults, Doc: map[string]string{
		"KEY_LAYOUT":             "layout of log file keys, e.g. logs/{account}/dt={year}{month}{day}{hour}/; empty: CloudTrail's",
		"GLUE_DATABASE":          "Glue database of the table",
		"GLUE_TABLE":             "Glue table the partitions are added to",
		"PARTITION_LEDGER_TABLE": "DynamoDB table of registered partitions; unset outside Lambda: nothing is called, partitions are printed",
	}}
	app.Modes = "-backfill s3://BUCKET/PREFIX/ [-since YYYY-MM-DD]   register the partitions of the files already in the bucket"
	backfillTarget := app.Flags.String("backfill", "", "`s3://bucket/prefix/`: register the partitions of the files already there")
	since := app.Flags.String("since", "", "`YYYY-MM-DD`: with -backfill, skip partitions before this day")
	app.Parse()
	ctx := context.Background()

	cfg, layout, err := loadConfig()
	if err != nil {
		app.Fail(err)
	}
	bf, err := parseBackfill(*backfillTarget, *since)
	if err != nil {
		app.Fail(err)
	}
	h := &Handler{
		Layout:   layout,
		Columns:  layout.Columns(),
		Bucket:   cfg.TrailBucket,
		Table:    cfg.table(),
		Registry: &memoryRegistry{},
		Log:      app.Log,
		Metrics:  app.Metrics,
	}
	var awsCfg aws.Config
	if cfg.LedgerTable != "" || bf != nil {
		if awsCfg, err = config.LoadAWS(ctx); err != nil {
			app.Fail("aws config:", err)
		}
	}
	if cfg.LedgerTable != "" {
		h.Registry = &catalog.Registry{
			Table:  h.Table,
			Glue:   &catalog.Registrar{Glue: glue.NewFromConfig(awsCfg), Table: h.Table, Columns: h.Columns},
			Ledger: &catalog.Ledger{DB: dynamodb.NewFromConfig(awsCfg), TableName: cfg.LedgerTable, UnprocessedRetries: 3},
		}
	}
	app.Log.Info("partitions ready", "table", h.Table.String(), "layout", layout.String(), "columns", h.Columns,
		"trail_bucket", cfg.TrailBucket, "ledger", cfg.LedgerTable)

	if !config.UnderLambda() {
		h.Report = (&printer{W: app.Out, JSON: app.JSON, Table: h.Table, Columns: h.Columns}).Print
	}
	if bf != nil && !config.UnderLambda() {
		client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			// A custom endpoint (an emulator) does not resolve buckets as subdomains.
			o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
		})
		_, err := h.Backfill(ctx, &s3Lister{Client: client, Bucket: bf.Bucket}, bf)
		if ferr := app.FlushMetrics(); ferr != nil && err == nil {
			err = ferr
		}
		if err != nil {
			localrun.Exit(localrun.ExitMalformed, err)
		}
		app.Exit(localrun.ExitOK)
		return
	}
	app.ServeBatch(ctx, h.Handle)
}

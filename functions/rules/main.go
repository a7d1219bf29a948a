// Command rules runs trailguard's detection rules (CEL, in YAML files: the built-in CIS pack
// plus the team's own) over every CloudTrail event EventBridge delivers, and alerts on matches.
//
// Under Lambda it serves EventBridge "AWS API Call via CloudTrail" and sign-in events; anywhere
// else it replays events from files or stdin through the same handler, or with -test-rules DIR
// runs the tests of the rule files in DIR (see README "Custom rules").
package main

import (
	"context"
	"flag"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/rules"
)

func main() {
	jsonOut := flag.Bool("json", false, "print one JSON object per alert per line")
	testDir := flag.String("test-rules", "", "run the tests of the rule files in `DIR`, print PASS/FAIL per rule, and exit (1 if any failed)")
	flag.Parse()
	ctx := context.Background()
	log := logging.New(os.Stderr)

	cfg, err := loadConfig()
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	if *testDir != "" {
		os.Exit(testRules(*testDir, cfg.Disabled, pack.FS, os.Stdout))
	}
	engine, err := cfg.Build(pack.FS)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	counters := &metrics.Counters{Function: "rules"}
	loadAWS := alert.LoadDefaultAWS(ctx)
	sender, err := cfg.NewSender(loadAWS, alert.Local{Out: os.Stdout, JSON: *jsonOut}, log, counters)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	// Threshold counts live in the alert state table next to the alert claims.
	var counts rules.Counter = &rules.MemoryCounter{}
	if cfg.StateTable != "" {
		awsCfg, err := loadAWS()
		if err != nil {
			localrun.Exit(localrun.ExitConfig, "aws config:", err)
		}
		counts = &rules.DynamoCounter{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.StateTable}
	}
	detect, err := rules.NewDetector(engine, counts)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	h := &Handler{Rules: detect, Alerts: sender, Log: log, Metrics: counters}
	log.Info("rules ready", "rules", len(engine.Rules()), "rules_dir", cfg.Dir, "disabled_rules", cfg.Disabled)

	if config.UnderLambda() {
		lambda.Start(counters.Flushing(os.Stdout, h.Handle))
		return
	}
	replay := localrun.Options{}
	if !*jsonOut {
		replay.Announce = os.Stdout // "▶ file:line" before each event's alerts
	}
	os.Exit(replay.Replay(ctx, flag.Args(), os.Stdin, os.Stderr, counters.Flushing(os.Stderr, h.Handle)))
}

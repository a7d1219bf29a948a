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
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/rules"
)

func main() {
	jsonOut := flag.Bool("json", false, "print one JSON object per alert per line")
	testDir := flag.String("test-rules", "", "run the tests of the rule files in `DIR`, print PASS/FAIL per rule, and exit (1 if any failed)")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx := context.Background()
	exit := func(code int, args ...any) {
		fmt.Fprintln(os.Stderr, args...)
		os.Exit(code)
	}

	cfg, err := loadConfig()
	if err != nil {
		exit(localrun.ExitConfig, err)
	}
	if *testDir != "" {
		os.Exit(testRules(*testDir, cfg.Disabled, pack.FS, os.Stdout))
	}
	engine, err := cfg.Build(pack.FS)
	if err != nil {
		exit(localrun.ExitConfig, err)
	}

	var counts rules.Counter = &rules.MemoryCounter{}
	var alerts publisher = &alert.Writer{W: os.Stdout, JSON: *jsonOut}
	if cfg.TopicARN != "" || cfg.StateTable != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			exit(localrun.ExitConfig, "aws config:", err)
		}
		if cfg.TopicARN != "" {
			alerts = &alert.SNS{Client: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN}
		}
		if cfg.StateTable != "" {
			counts = &rules.DynamoCounter{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.StateTable}
		}
	}
	detect, err := rules.NewDetector(engine, counts)
	if err != nil {
		exit(localrun.ExitConfig, err)
	}
	log.Info("rules loaded", "rules", len(engine.Rules()))
	h := &Handler{Rules: detect, Alerts: alerts, Log: log}

	if config.UnderLambda() {
		lambda.Start(h.Handle)
		return
	}
	os.Exit(localrun.Replay(ctx, flag.Args(), os.Stdin, os.Stderr, h.Handle))
}

// Command rules runs trailguard's detection rules (CEL, in YAML files: the built-in CIS pack
// plus the team's own) over every CloudTrail event EventBridge delivers, and alerts on matches.
//
// Under Lambda it serves EventBridge "AWS API Call via CloudTrail" and sign-in events; anywhere
// else it replays events from files or stdin through the same handler, or with -test-rules DIR
// runs the tests of the rule files in DIR (docs/rules.md, docs/local.md).
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/localstate"
	"github.com/trailguard/trailguard/shared/rules"
)

func main() {
	app := localrun.NewApp("rules",
		"runs the detection rules (the built-in CIS pack plus RULES_DIR) over CloudTrail events and alerts on matches",
		"print one JSON object per alert per line (no per-event lines)")
	app.Env = localrun.Env{Spec: &Config{}}
	app.Modes = "-test-rules DIR   run the tests of the rule files in DIR, print PASS/FAIL per rule, exit 1 if any failed"
	testDir := app.Flags.String("test-rules", "", "run the tests of the rule files in `DIR`, print PASS/FAIL per rule, and exit (1 if any failed)")
	app.Parse()
	ctx := context.Background()

	cfg, err := loadConfig()
	if err != nil {
		app.Fail(err)
	}
	if *testDir != "" {
		app.Exit(testRules(*testDir, cfg.Disabled, pack.FS, app.Out))
		return
	}
	engine, err := cfg.Build(pack.FS)
	if err != nil {
		app.Fail(err)
	}
	loadAWS := alert.LoadDefaultAWS(ctx)
	sender, err := cfg.NewSender(loadAWS, alert.Local{Out: app.Out, JSON: app.JSON}, app.Log, app.Metrics)
	if err != nil {
		app.Fail(err)
	}
	// Threshold counts live in the alert state table next to the alert claims.
	var counts rules.Counter = &rules.MemoryCounter{}
	if cfg.StateTable != "" {
		awsCfg, err := loadAWS()
		if err != nil {
			app.Fail("aws config:", err)
		}
		counts = &rules.DynamoCounter{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.StateTable}
	} else if dir := app.StateDir(); dir != "" { // -state DIR: threshold counts outlive the run
		db, err := localstate.Open(dir)
		app.FailState(err)
		app.AtExit(db.Close)
		rc, err := db.RuleCounter()
		app.FailState(err)
		counts = rc
	}
	app.UseState(sender, cfg.Config)
	detect, err := rules.NewDetector(engine, counts)
	if err != nil {
		app.Fail(err)
	}
	h := &Handler{Rules: detect, Alerts: sender, Log: app.Log, Metrics: app.Metrics}
	app.Log.Info("rules ready", "rules", len(engine.Rules()), "rules_dir", cfg.Dir, "disabled_rules", cfg.Disabled)
	app.Serve(ctx, h.Handle)
}

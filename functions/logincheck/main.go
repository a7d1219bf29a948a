// Command logincheck alerts on console and IAM Identity Center sign-ins from outside the
// allowlist, failed sign-ins, root sign-ins and sign-ins without MFA.
//
// Under Lambda it serves EventBridge events; anywhere else it replays events from files or
// stdin through the same handler (see README "Replay events locally").
package main

import (
	"context"
	"flag"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/metrics"
)

func main() {
	jsonOut := flag.Bool("json", false, "print one JSON object per alert per line")
	flag.Parse()
	ctx := context.Background()
	log := logging.New(os.Stderr)

	cfg, allow, err := loadConfig()
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	counters := &metrics.Counters{Function: "logincheck"}
	sender, err := cfg.NewSender(alert.LoadDefaultAWS(ctx), alert.Local{Out: os.Stdout, JSON: *jsonOut}, log, counters)
	if err != nil {
		localrun.Exit(localrun.ExitConfig, err)
	}
	h := &Handler{
		Allow:            allow,
		Checked:          map[string]bool{},
		FailedSignIn:     cfg.FailedSignIn,
		RootSignIn:       cfg.RootSignIn,
		SignInWithoutMFA: cfg.SignInWithoutMFA,
		Alerts:           sender,
		Log:              log,
		Metrics:          counters,
	}
	for _, e := range cfg.CheckedEvents {
		h.Checked[e] = true
	}
	log.Info("logincheck ready", "allowlist_prefixes", allow.Len(), "checked_events", cfg.CheckedEvents)

	if config.UnderLambda() {
		lambda.Start(counters.Flushing(os.Stdout, h.Handle))
		return
	}
	replay := localrun.Options{}
	if !*jsonOut {
		replay.Announce = os.Stdout
	}
	os.Exit(replay.Replay(ctx, flag.Args(), os.Stdin, os.Stderr, counters.Flushing(os.Stderr, h.Handle)))
}

// Command logincheck alerts on console and IAM Identity Center sign-ins from outside the
// allowlist, failed sign-ins, root sign-ins and sign-ins without MFA.
//
// Under Lambda it serves EventBridge events; anywhere else it replays events from files or
// stdin through the same handler (see README "Replay events locally").
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/localrun"
)

func main() {
	jsonOut := flag.Bool("json", false, "print one JSON object per alert per line")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx := context.Background()

	cfg, allow, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(localrun.ExitConfig)
	}
	h := &Handler{
		Allow:            allow,
		Checked:          map[string]bool{},
		FailedSignIn:     cfg.FailedSignIn,
		RootSignIn:       cfg.RootSignIn,
		SignInWithoutMFA: cfg.SignInWithoutMFA,
		Log:              log,
	}
	for _, e := range cfg.CheckedEvents {
		h.Checked[e] = true
	}
	if cfg.TopicARN != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "aws config:", err)
			os.Exit(localrun.ExitConfig)
		}
		h.Alerts = &alert.SNS{Client: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN}
	} else {
		h.Alerts = &alert.Writer{W: os.Stdout, JSON: *jsonOut}
	}

	if config.UnderLambda() {
		lambda.Start(h.Handle)
		return
	}
	os.Exit(localrun.Replay(ctx, flag.Args(), os.Stdin, os.Stderr, h.Handle))
}

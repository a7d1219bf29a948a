// Command logincheck alerts on console and IAM Identity Center sign-ins from outside the
// allowlist, failed sign-ins, root sign-ins and sign-ins without MFA.
//
// Under Lambda it serves EventBridge events; anywhere else it replays events from files or
// stdin through the same handler (docs/logincheck.md, docs/local.md; -h lists the inputs,
// flags and environment).
package main

import (
	"context"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/localrun"
)

func main() {
	app := localrun.NewApp("logincheck",
		"alerts on console and IAM Identity Center sign-ins from outside ALLOWED_CIDRS, failed sign-ins, root sign-ins and sign-ins without MFA",
		"print one JSON object per alert per line (no per-event lines)")
	app.Env = localrun.Env{Spec: &Config{}, Local: localDefaults, Doc: map[string]string{
		"ALLOWED_CIDRS":             "trusted source networks, IPv4 and IPv6 CIDRs separated by spaces or commas; a sign-in from elsewhere is a HIGH alert",
		"ALLOWED_SOURCES":           "trusted non-IP sources (\"AWS Internal\", service names), comma-separated",
		"CHECKED_EVENTS":            "sign-in event names checked; others are ignored",
		"ALERT_FAILED_SIGN_IN":      "alert on a failed sign-in (MEDIUM)",
		"ALERT_ROOT_SIGN_IN":        "alert on a root sign-in (HIGH)",
		"ALERT_SIGN_IN_WITHOUT_MFA": "alert on a sign-in without MFA (MEDIUM)",
	}}
	app.Words = map[string]string{"event not checked": "not a checked sign-in event (CHECKED_EVENTS)"}
	app.Parse()
	ctx := context.Background()

	cfg, allow, err := loadConfig()
	if err != nil {
		app.Fail(err)
	}
	sender, err := cfg.NewSender(alert.LoadDefaultAWS(ctx), alert.Local{Out: app.Out, JSON: app.JSON}, app.Log, app.Metrics)
	if err != nil {
		app.Fail(err)
	}
	app.UseState(sender, cfg.Config) // -state DIR: the alert ledger and history in DIR
	h := &Handler{
		Allow:            allow,
		Checked:          map[string]bool{},
		FailedSignIn:     cfg.FailedSignIn,
		RootSignIn:       cfg.RootSignIn,
		SignInWithoutMFA: cfg.SignInWithoutMFA,
		Alerts:           sender,
		Log:              app.Log,
		Metrics:          app.Metrics,
	}
	for _, e := range cfg.CheckedEvents {
		h.Checked[e] = true
	}
	app.Log.Info("logincheck ready", "allowlist_prefixes", allow.Len(), "checked_events", cfg.CheckedEvents)
	app.Serve(ctx, h.Handle)
}

package main

import (
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/ipallow"
	"github.com/trailguard/trailguard/shared/rules"
)

// Config is cloudpoll's environment. The sign-in settings are logincheck's (one allowlist for
// every cloud); the untrusted-source-ip check cannot be switched off.
type Config struct {
	Sources          string        `envconfig:"SOURCES"`
	PollTable        string        `envconfig:"CLOUDPOLL_TABLE"`
	SecretsFile      string        `envconfig:"SECRETS_FILE"`
	Lookback         time.Duration `envconfig:"FIRST_POLL_LOOKBACK" default:"15m"`
	AllowedCIDRs     string        `envconfig:"ALLOWED_CIDRS"`
	AllowedSources   string        `envconfig:"ALLOWED_SOURCES"`
	FailedSignIn     bool          `envconfig:"ALERT_FAILED_SIGN_IN" default:"true"`
	RootSignIn       bool          `envconfig:"ALERT_ROOT_SIGN_IN" default:"true"`
	SignInWithoutMFA bool          `envconfig:"ALERT_SIGN_IN_WITHOUT_MFA" default:"true"`
	// The god view's counters (aggregate's table): every polled event counts there, per cloud.
	CountersTable        string `envconfig:"COUNTERS_TABLE"`
	CounterRetentionDays int    `envconfig:"COUNTER_RETENTION_DAYS" default:"90"`
	// The change log (tagenrich's table): write events, with Alibaba ECS and SLB tags.
	ChangeTable         string        `envconfig:"CHANGE_TABLE"`
	ChangeRetentionDays int           `envconfig:"CHANGE_RETENTION_DAYS" default:"180"`
	TagKeys             []string      `envconfig:"TAG_KEYS" default:"project,cost-center,owner,env"`
	TagCacheTTL         time.Duration `envconfig:"TAG_CACHE_TTL" default:"10m"`
	// The last known tags (tagenrich's table): a deleted resource's change keeps its tags.
	KnownTagsTable string `envconfig:"KNOWN_TAGS_TABLE"`
	KnownTagsDays  int    `envconfig:"KNOWN_TAGS_DAYS" default:"730"`
	// RULES_DIR, DISABLED_RULES, TRUSTED_ACCOUNTS, as the rules function reads them.
	rules.Selection
	// Embedded, not named: envconfig would prefix a named struct's variables (ALERT_…).
	alert.Config

	sources []Source
}

// localDefaults is a local run's embedded configuration: documentation ranges only, as
// logincheck's, so the demo allowlist trusts nothing real.
var localDefaults = map[string]string{
	"ALLOWED_CIDRS": "198.51.100.0/24 2001:db8:1::/48",
}

// loadConfig reads and validates the environment; every error names its variable.
func loadConfig() (Config, *ipallow.List, error) {
	var c Config
	if err := config.Load(&c, localDefaults); err != nil {
		return c, nil, err
	}
	allow, err := ipallow.Parse(c.AllowedCIDRs, c.AllowedSources)
	if err != nil {
		return c, nil, err
	}
	if c.sources, err = ParseSources(c.Sources); err != nil {
		return c, nil, err
	}
	if c.Lookback < 0 || c.Lookback > 7*24*time.Hour {
		return c, nil, &config.Error{Var: "FIRST_POLL_LOOKBACK", Problem: "want a duration between 0 and 168h"}
	}
	if c.CounterRetentionDays < 1 {
		return c, nil, &config.Error{Var: "COUNTER_RETENTION_DAYS", Problem: "want at least 1 day"}
	}
	if c.KnownTagsDays < 1 {
		return c, nil, &config.Error{Var: "KNOWN_TAGS_DAYS", Problem: "want at least 1 day"}
	}
	if c.ChangeRetentionDays < 1 {
		return c, nil, &config.Error{Var: "CHANGE_RETENTION_DAYS", Problem: "want at least 1 day"}
	}
	if config.UnderLambda() {
		if c.SecretsFile != "" {
			return c, nil, &config.Error{Var: "SECRETS_FILE", Problem: "is for local runs only: under Lambda key pairs come from Secrets Manager"}
		}
		if err := config.Required("CLOUDPOLL_TABLE", c.PollTable); err != nil {
			return c, nil, err
		}
	}
	return c, allow, c.Config.Validate()
}

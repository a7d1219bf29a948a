package main

import (
	"strings"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/ipallow"
)

// Config is logincheck's environment. The untrusted-source-ip check cannot be switched off:
// it is the reason the function exists.
type Config struct {
	AllowedCIDRs     string   `envconfig:"ALLOWED_CIDRS"`
	AllowedSources   string   `envconfig:"ALLOWED_SOURCES"`
	CheckedEvents    []string `envconfig:"CHECKED_EVENTS" default:"ConsoleLogin,UserAuthentication,CredentialVerification,SwitchRole"`
	FailedSignIn     bool     `envconfig:"ALERT_FAILED_SIGN_IN" default:"true"`
	RootSignIn       bool     `envconfig:"ALERT_ROOT_SIGN_IN" default:"true"`
	SignInWithoutMFA bool     `envconfig:"ALERT_SIGN_IN_WITHOUT_MFA" default:"true"`
	// Embedded, not named: envconfig would prefix a named struct's variables (ALERT_…).
	alert.Config
}

// localDefaults is the embedded configuration of a local replay: documentation address
// ranges only, so the demo allowlist trusts nothing real.
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
	var events []string
	for _, e := range c.CheckedEvents {
		if e = strings.TrimSpace(e); e != "" {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return c, nil, &config.Error{Var: "CHECKED_EVENTS", Problem: "names no event"}
	}
	c.CheckedEvents = events
	return c, allow, c.Config.Validate()
}

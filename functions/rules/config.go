package main

import (
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/rules"
)

// Config is the rules function's environment.
type Config struct {
	// RULES_DIR (the team's own rule files), DISABLED_RULES (built-ins switched off) and
	// TRUSTED_ACCOUNTS (the organization's accounts, for rules about sharing outside it).
	rules.Selection
	// ALERT_TOPIC_ARN, ALERT_STATE_TABLE (alert claims and suppression, and the threshold
	// counts of threshold rules), SUPPRESS_WINDOW, ALERT_DEDUPE_FOR. Embedded, not a named
	// field: envconfig prefixes a named struct's variables (ALERT_SUPPRESS_WINDOW), and its
	// errors would then name a variable nobody sets.
	alert.Config
}

// loadConfig reads and validates the environment; every error names its variable.
func loadConfig() (Config, error) {
	var c Config
	if err := config.Load(&c, nil); err != nil {
		return c, err
	}
	return c, c.Validate()
}

package main

import (
	"fmt"
	"time"

	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/rules"
)

// Config is the rules function's environment.
type Config struct {
	// rules.Config: RULES_DIR (the team's own rule files) and DISABLED_RULES (built-ins off).
	rules.Config
	TopicARN string `envconfig:"ALERT_TOPIC_ARN"`
	// StateTable holds the alert state and the threshold counts of threshold rules.
	StateTable     string        `envconfig:"ALERT_STATE_TABLE"`
	SuppressWindow time.Duration `envconfig:"SUPPRESS_WINDOW" default:"1h"`
}

// loadConfig reads and validates the environment; every error names its variable.
func loadConfig() (Config, error) {
	var c Config
	if err := config.Load(&c, nil); err != nil {
		return c, err
	}
	if c.SuppressWindow < 0 {
		return c, &config.Error{Var: "SUPPRESS_WINDOW", Problem: fmt.Sprintf("negative duration %s", c.SuppressWindow)}
	}
	if config.UnderLambda() {
		if err := config.Required("ALERT_TOPIC_ARN", c.TopicARN); err != nil {
			return c, err
		}
		if err := config.Required("ALERT_STATE_TABLE", c.StateTable); err != nil {
			return c, err
		}
	}
	return c, nil
}

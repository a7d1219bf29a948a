package main

import (
	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/keylayout"
)

// Config is the partition registrar's environment.
type Config struct {
	// KeyLayout is the layout of log file keys; empty means CloudTrail's.
	KeyLayout string `envconfig:"KEY_LAYOUT"`
	// TrailBucket is the bucket the logs land in; objects of other buckets are skipped.
	TrailBucket string `envconfig:"TRAIL_BUCKET"`
	// TrailPrefix is the trail's S3 key prefix; keys outside it are skipped. Empty: any
	// prefix before AWSLogs/ (CloudTrail layout), none (KEY_LAYOUT).
	TrailPrefix  string `envconfig:"TRAIL_PREFIX"`
	GlueDatabase string `envconfig:"GLUE_DATABASE"`
	GlueTable    string `envconfig:"GLUE_TABLE"`
	// LedgerTable is the DynamoDB table of registered partitions. Unset outside Lambda, the
	// function calls nothing: it prints the partitions it would register.
	LedgerTable string `envconfig:"PARTITION_LEDGER_TABLE"`
}

// localDefaults name the table a local replay reports on, as template.yaml's defaults do.
var localDefaults = map[string]string{
	"GLUE_DATABASE": "trailguard",
	"GLUE_TABLE":    "cloudtrail",
}

// loadConfig reads and validates the environment; every error names its variable.
func loadConfig() (Config, *keylayout.Layout, error) {
	var c Config
	if err := config.Load(&c, localDefaults); err != nil {
		return c, nil, err
	}
	layout := keylayout.CloudTrail()
	if c.KeyLayout != "" {
		l, err := keylayout.Parse(c.KeyLayout)
		if err != nil {
			return c, nil, &config.Error{Var: "KEY_LAYOUT", Problem: err.Error()}
		}
		layout = l
	}
	layout = layout.WithPrefix(c.TrailPrefix)
	for _, v := range []struct{ name, value string }{{"GLUE_DATABASE", c.GlueDatabase}, {"GLUE_TABLE", c.GlueTable}} {
		if err := config.Required(v.name, v.value); err != nil {
			return c, nil, err
		}
	}
	if config.UnderLambda() {
		for _, v := range []struct{ name, value string }{{"PARTITION_LEDGER_TABLE", c.LedgerTable}, {"TRAIL_BUCKET", c.TrailBucket}} {
			if err := config.Required(v.name, v.value); err != nil {
				return c, nil, err
			}
		}
	}
	return c, layout, nil
}

func (c Config) table() catalog.Table {
	return catalog.Table{Database: c.GlueDatabase, Name: c.GlueTable}
}

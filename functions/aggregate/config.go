package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/rules"
)

// Config is the aggregator's environment.
type Config struct {
	// TrailBucket is the bucket the logs land in; objects of other buckets are skipped.
	TrailBucket string `envconfig:"TRAIL_BUCKET"`
	// TrailPrefix is the trail's S3 key prefix (before AWSLogs/); empty: any.
	TrailPrefix string `envconfig:"TRAIL_PREFIX"`
	// CountersTable is the DynamoDB counters table. Unset outside Lambda, counters are kept
	// in memory for the run and printed.
	CountersTable string `envconfig:"COUNTERS_TABLE"`
	// RetentionDays is how long an hour's counters are kept after the hour (DynamoDB TTL).
	RetentionDays int `envconfig:"RETENTION_DAYS" default:"90"`
	// Thresholds of the rules, per hour; 0 switches a rule off.
	FailedSignInThreshold int `envconfig:"FAILED_SIGNIN_THRESHOLD" default:"5"`
	AccessDeniedThreshold int `envconfig:"ACCESS_DENIED_THRESHOLD" default:"20"`
	// AccessDeniedCodes are the errorCode values the access-denied rule counts.
	AccessDeniedCodes []string `envconfig:"ACCESS_DENIED_CODES" default:"AccessDenied,UnauthorizedOperation,Client.UnauthorizedOperation"`
	// WriteConcurrency is how many counter writes are in flight at once.
	WriteConcurrency int `envconfig:"WRITE_CONCURRENCY" default:"16"`
	// BucketDir stands in for the bucket outside Lambda: object keys are read under it. Set
	// it empty to read from S3 in a local run.
	BucketDir string `envconfig:"BUCKET_DIR"`
	// LogFileRules runs the detection rules (the built-in pack and RULES_DIR, less
	// DISABLED_RULES) over every record of each file: "all" (default), or "off".
	LogFileRules string `envconfig:"LOG_FILE_RULES" default:"all"`
	// MaxCounters is Handler.MaxCounters: the distinct counters a file's tally holds before
	// it is applied as a part, so a file of any size fits the function's memory. The default
	// fits 128 MB (shared/counters/doc.go: about 450 bytes of function memory per counter
	// past 40 MB); raise it with MemorySize, e.g. 800000 at 512 MB.
	MaxCounters int `envconfig:"MAX_COUNTERS" default:"150000"`
	// Embedded, not named: envconfig would prefix a named struct's variables.
	alert.Config
	rules.Selection
}

// MAX_COUNTERS bounds: below minMaxCounters a file splits into parts of a few items each (a
// write per part and counter, for nothing); above maxMaxCounters no function has the memory
// (10,240 MB holds about 17 million at 600 bytes each: a margin over the 450 measured).
const (
	minMaxCounters = 1_000
	maxMaxCounters = 17_000_000
)

// localDefaults: a local replay reads the sample bucket next to the sample events (paths are
// relative to the repository root, where make demo runs).
var localDefaults = map[string]string{
	"BUCKET_DIR": "events/aggregate/data",
}

// loadConfig reads and validates the environment; every error names its variable.
func loadConfig() (Config, error) {
	var c Config
	if err := config.Load(&c, localDefaults); err != nil {
		return c, err
	}
	for _, v := range []struct {
		name  string
		value int
		lo    int
		hi    int
	}{
		{"RETENTION_DAYS", c.RetentionDays, 1, 36500},
		{"FAILED_SIGNIN_THRESHOLD", c.FailedSignInThreshold, 0, 1 << 30},
		{"ACCESS_DENIED_THRESHOLD", c.AccessDeniedThreshold, 0, 1 << 30},
		{"WRITE_CONCURRENCY", c.WriteConcurrency, 1, 256},
		{"MAX_COUNTERS", c.MaxCounters, minMaxCounters, maxMaxCounters},
	} {
		if v.value < v.lo || v.value > v.hi {
			return c, &config.Error{Var: v.name, Problem: fmt.Sprintf("%d is out of range (want %d to %d)", v.value, v.lo, v.hi)}
		}
	}
	var codes []string
	for _, code := range c.AccessDeniedCodes {
		if code = strings.TrimSpace(code); code != "" {
			codes = append(codes, code)
		}
	}
	if len(codes) == 0 && c.AccessDeniedThreshold > 0 {
		return c, &config.Error{Var: "ACCESS_DENIED_CODES", Problem: "names no error code (set ACCESS_DENIED_THRESHOLD=0 to switch the rule off)"}
	}
	c.AccessDeniedCodes = codes
	if strings.HasPrefix(c.TrailPrefix, "/") || strings.HasSuffix(c.TrailPrefix, "/") {
		return c, &config.Error{Var: "TRAIL_PREFIX", Problem: fmt.Sprintf("%q: give the prefix without a leading or trailing /", c.TrailPrefix)}
	}
	if config.UnderLambda() {
		for _, v := range []struct{ name, value string }{{"COUNTERS_TABLE", c.CountersTable}, {"TRAIL_BUCKET", c.TrailBucket}} {
			if err := config.Required(v.name, v.value); err != nil {
				return c, err
			}
		}
		c.BucketDir = ""
	}
	if c.LogFileRules != "all" && c.LogFileRules != "off" {
		return c, &config.Error{Var: "LOG_FILE_RULES", Problem: fmt.Sprintf("%q: want all or off", c.LogFileRules)}
	}
	return c, c.Config.Validate()
}

// retention is RETENTION_DAYS as a duration.
func (c Config) retention() time.Duration { return time.Duration(c.RetentionDays) * 24 * time.Hour }

// table is the DynamoDB store the configuration names.
func (c Config) table(client counters.DynamoDB) *counters.Table {
	return &counters.Table{Client: client, Name: c.CountersTable, Retention: c.retention(), Concurrency: c.WriteConcurrency}
}

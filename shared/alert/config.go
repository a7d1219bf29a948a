package alert

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailguard/trailguard/shared/config"
)

// Config is the alerting part of every function's environment; embed it in the function's
// envconfig struct.
type Config struct {
	TopicARN       string        `envconfig:"ALERT_TOPIC_ARN"`
	StateTable     string        `envconfig:"ALERT_STATE_TABLE"`
	SuppressWindow time.Duration `envconfig:"SUPPRESS_WINDOW" default:"1h"`
	DedupeFor      time.Duration `envconfig:"ALERT_DEDUPE_FOR" default:"168h"`
	// FloodCap is LedgerOptions.FloodCap: alerts sent per kind and principal per
	// SUPPRESS_WINDOW before the rest fold into one digest.
	FloodCap int `envconfig:"ALERT_FLOOD_CAP" default:"3"`
}

// MinSuppressWindow is the shortest SUPPRESS_WINDOW (other than 0, no suppression): Lambda's
// longest run. A flood window's opener still holding its digest when the window ends is taken
// for dead and its digest given back for the flush or the next opening (restoreDigest), which
// is only sure when no invocation outlives a window.
const MinSuppressWindow = 15 * time.Minute

// Validate checks the values; under Lambda the topic and the state table are required, so a
// deployed function never prints its alerts to a log nobody reads.
func (c Config) Validate() error {
	if c.SuppressWindow < 0 {
		return &config.Error{Var: "SUPPRESS_WINDOW", Problem: fmt.Sprintf("negative duration %s", c.SuppressWindow)}
	}
	if c.SuppressWindow > 0 && c.SuppressWindow < MinSuppressWindow {
		return &config.Error{Var: "SUPPRESS_WINDOW", Problem: fmt.Sprintf("%s is shorter than a Lambda invocation may run (want 0, or at least %s)", c.SuppressWindow, MinSuppressWindow)}
	}
	if c.FloodCap < 1 || c.FloodCap > MaxFloodCap {
		return &config.Error{Var: "ALERT_FLOOD_CAP", Problem: fmt.Sprintf("%d is outside 1..%d", c.FloodCap, MaxFloodCap)}
	}
	if c.DedupeFor < time.Hour {
		return &config.Error{Var: "ALERT_DEDUPE_FOR", Problem: fmt.Sprintf("%s is shorter than Lambda's retries (want at least 1h)", c.DedupeFor)}
	}
	if config.UnderLambda() {
		if err := config.Required("ALERT_TOPIC_ARN", c.TopicARN); err != nil {
			return err
		}
		if err := config.Required("ALERT_STATE_TABLE", c.StateTable); err != nil {
			return err
		}
	}
	return nil
}

// Local says how a local run prints alerts when no topic is configured.
type Local struct {
	Out  io.Writer
	JSON bool
}

// NewSender builds the Sender for the configuration: SNS and the DynamoDB ledger when the
// topic and table are set (in AWS, or against emulators through AWS_ENDPOINT_URL_*), else the
// local printer and an in-memory ledger. Every sender keeps what it delivers for the god view:
// in the state table (DynamoHistory) when there is one, else in memory. loadAWS (LoadDefaultAWS) is called only when needed.
func (c Config) NewSender(loadAWS func() (aws.Config, error), local Local, log *slog.Logger, metrics counter) (*Sender, error) {
	opts := LedgerOptions{Window: c.SuppressWindow, DedupeFor: c.DedupeFor, FloodCap: c.FloodCap}
	s := &Sender{Log: log, Metrics: metrics}
	getAWS := func() (aws.Config, error) {
		cfg, err := loadAWS()
		if err != nil {
			return cfg, fmt.Errorf("load AWS configuration: %w", err)
		}
		return cfg, nil
	}
	if c.TopicARN != "" {
		cfg, err := getAWS()
		if err != nil {
			return nil, err
		}
		s.Publisher = &SNS{Client: sns.NewFromConfig(cfg), TopicARN: c.TopicARN}
	} else {
		s.Publisher = &Writer{W: local.Out, JSON: local.JSON}
	}
	if c.StateTable != "" {
		cfg, err := getAWS()
		if err != nil {
			return nil, err
		}
		db := dynamodb.NewFromConfig(cfg)
		s.Ledger = &DynamoDBLedger{Client: db, Table: c.StateTable, Options: opts}
		s.History = &DynamoHistory{Client: db, Table: c.StateTable}
	} else {
		s.Ledger = &MemoryLedger{Options: opts}
		s.History = &MemoryHistory{}
	}
	return s, nil
}

// LoadDefaultAWS is the loader functions pass to NewSender and use for their own clients,
// loaded once however often it is called: config.LoadAWS, the SDK's default chain in local
// runs and tests, the Lambda runtime's environment in the Lambda bootstrap (both honour
// AWS_REGION and the AWS_ENDPOINT_URL_* variables).
func LoadDefaultAWS(ctx context.Context) func() (aws.Config, error) {
	return sync.OnceValues(func() (aws.Config, error) { return config.LoadAWS(ctx) })
}

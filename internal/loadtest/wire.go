package loadtest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/awsfake"
	"github.com/trailguard/trailguard/shared/testenv"
)

// transport keeps enough idle connections for InFlight invocations (the SDK's default keeps
// 10 per host: the rest would reconnect on every request and exhaust the loopback's ports).
func transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 4*InFlight, 4*InFlight
	return t
}

// Topic is the alert topic of a run: the SNS wire fake, reached through the real SNS client,
// its requests counted.
type Topic struct {
	Fake     *awsfake.SNS
	Requests *Requests
}

// NewTopic starts the SNS fake.
func NewTopic(t testing.TB) *Topic {
	t.Helper()
	fake := awsfake.NewSNS(t, "arn:aws:sns:us-east-1:111122223333:trailguard-alerts")
	reqs := &Requests{Next: transport()}
	return &Topic{Fake: fake, Requests: reqs}
}

// Sender is the alert Sender the functions build under Lambda (shared/alert's SNS publisher),
// publishing to the fake topic, with ledger deciding who sends. Flood control is set to its
// maximum, so every distinct finding of the run is sent (the checks compare raised with sent).
func (tp *Topic) Sender(ledger alert.Ledger) *alert.Sender {
	cfg := awsfake.Config(tp.Fake.URL())
	cfg.HTTPClient = tp.Requests
	return &alert.Sender{
		Ledger:    ledger,
		Publisher: &alert.SNS{Client: sns.NewFromConfig(cfg), TopicARN: tp.Fake.TopicARN()},
		Log:       slog.New(slog.DiscardHandler),
	}
}

// Sent returns the fingerprints of the alerts the topic accepted, one per message.
func (tp *Topic) Sent(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, m := range tp.Fake.Published() {
		bodies, err := m.Structured()
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Fingerprint string `json:"fingerprint"`
		}
		if err := json.Unmarshal([]byte(bodies["default"]), &v); err != nil {
			t.Fatalf("message %s: default body: %v", m.MessageID, err)
		}
		out = append(out, v.Fingerprint)
	}
	return out
}

// LedgerOptions are the ledger's settings in a run: the deployed window and dedupe period,
// flood control at its maximum.
var LedgerOptions = alert.LedgerOptions{Window: time.Hour, DedupeFor: 168 * time.Hour, FloodCap: alert.MaxFloodCap}

// Dynamo returns a client of the DynamoDB emulator whose requests are counted.
func Dynamo(t testing.TB) (*dynamodb.Client, *Requests) {
	t.Helper()
	base := testenv.DynamoDB(t)
	reqs := &Requests{Next: transport()}
	opts := base.Options()
	opts.HTTPClient = reqs
	return dynamodb.New(opts), reqs
}

// Table creates the table of template.yaml's logicalID on the emulator (with a plain client:
// the table's creation is not the run's traffic).
func Table(t testing.TB, logicalID string) string {
	t.Helper()
	return testenv.CreateTable(t, testenv.DynamoDB(t), logicalID)
}

// Alerting replays n events of src through an alerting handler, built by handler around the
// publisher it must use (a Tap in front of the SNS wire fake's Sender on ledger), reports the
// run with reqs and SNS's requests, and checks every finding raised was sent exactly once.
func Alerting(t *testing.T, name string, n int, src *Source, ledger alert.Ledger, reqs map[string]*Requests,
	handler func(alerts *Tap) func(context.Context, []byte) error) {
	t.Helper()
	topic := NewTopic(t)
	tap := &Tap{Next: topic.Sender(ledger)}
	res := Run(context.Background(), n, src, handler(tap))
	if reqs == nil {
		reqs = map[string]*Requests{}
	}
	reqs["SNS"] = topic.Requests
	Report(t, name, res, reqs)
	findings := CheckAlerts(t, tap.Raised(), topic.Sent(t))
	if findings == 0 {
		t.Errorf("%s: no alert raised: the load exercised nothing", name)
	}
	t.Logf("LOADTEST %s: %d distinct findings sent once each", name, findings)
}

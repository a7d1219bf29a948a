// Package loadtest replays many realistic EventBridge events through a function's handler
// with many invocations in flight, as Lambda would under load, and checks what the issue
// asks of it under load: no alert lost, none sent twice, no change record duplicated, with a
// share of the events delivered twice (Lambda delivers at least once).
//
// The size comes from the environment, so `make test` runs a small version and `make
// loadtest` the full one:
//
//	LOADTEST_EVENTS           events through the in-memory stores and wire fakes (default 3000)
//	LOADTEST_EMULATOR_EVENTS  events against the emulators (dynalite) (default 1000)
//
// The events are trailgen's records (the field order and shapes CloudTrail writes) wrapped
// as EventBridge delivers them: sign-ins from allowed and untrusted addresses, API calls of
// the catalog (some refused, some tripping the rule pack), mutating calls for the change log.
package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/alert"
)

// InFlight is how many invocations run at once: the 50 concurrent executions.
const InFlight = 50

// RedeliverEvery: one event in this many is delivered a second time, a little later, as
// Lambda's at-least-once delivery does.
const RedeliverEvery = 20

// Size returns the number of events named by variable (LOADTEST_EVENTS, …), def when unset.
func Size(t testing.TB, variable string, def int) int {
	t.Helper()
	v := os.Getenv(variable)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number of events", variable, v)
	}
	return n
}

// Kind selects the events a Source makes.
type Kind int

const (
	// SignIns are console sign-ins (aws.signin), for logincheck.
	SignIns Kind = iota
	// APICalls are the catalog's API calls, read and write, refused or not, plus calls the
	// rule pack alerts on, for rules.
	APICalls
	// Mutations are the catalog's write calls, for tagenrich.
	Mutations
)

// ruleTrips are specs the built-in pack alerts on, mixed into APICalls (1 in 50).
var ruleTrips = []struct{ source, name string }{
	{"cloudtrail.amazonaws.com", "StopLogging"},
	{"cloudtrail.amazonaws.com", "DeleteTrail"},
	{"guardduty.amazonaws.com", "DeleteDetector"},
	{"kms.amazonaws.com", "ScheduleKeyDeletion"},
	{"iam.amazonaws.com", "PutUserPolicy"},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"},
}

// Source makes events from a seeded trailgen generator. It is not safe for concurrent use.
type Source struct {
	kind Kind
	gen  *trailgen.Generator
	n    int
	buf  []byte
}

// NewSource returns a deterministic source of events of kind: 20 accounts, 30 identities
// each, 200 source addresses.
func NewSource(kind Kind, seed uint64) *Source {
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	return &Source{kind: kind, gen: trailgen.New(seed, start, 20, 30, 200)}
}

// Next returns the next event, a fresh slice.
func (s *Source) Next() []byte {
	s.n++
	var spec trailgen.Spec
	for {
		spec = s.gen.Random(24)
		switch s.kind {
		case SignIns:
			spec.EventSource, spec.EventName, spec.EventType, spec.ResourceType, spec.ErrorCode = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn", "", ""
			spec.SignInResult = "Success"
			if s.n%7 == 0 {
				spec.SignInResult = "Failure"
			}
			if spec.Identity.Type == "AWSService" {
				continue // services do not sign in to the console
			}
			if strings.IndexByte(spec.SourceIP, '.') < 0 && strings.IndexByte(spec.SourceIP, ':') < 0 {
				spec.SourceIP = trailgen.MakeSource(s.n % 4) // "AWS Internal" is no console sign-in address
			}
		case APICalls:
			if s.n%50 == 0 {
				trip := ruleTrips[(s.n/50)%len(ruleTrips)]
				spec.EventSource, spec.EventName, spec.ErrorCode = trip.source, trip.name, ""
			}
		case Mutations:
			if readOnly(spec.EventName) {
				continue
			}
		}
		break
	}
	s.buf = s.gen.Append(s.buf[:0], spec)
	return Wrap(s.buf, spec.EventName == "ConsoleLogin", s.n)
}

// readOnly: the catalog's read calls by name (Get, List, Describe, Head, Lookup).
func readOnly(name string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Head", "Lookup", "Select", "Scan", "Query", "BatchGet", "Decrypt"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Wrap puts one CloudTrail record in the EventBridge envelope Lambda receives: detail-type
// "AWS Console Sign In via CloudTrail" from aws.signin for a sign-in, else "AWS API Call via
// CloudTrail" from aws.<service>; account and region from the record. n makes the envelope
// id unique.
func Wrap(record []byte, signIn bool, n int) []byte {
	source, detailType := "aws.signin", "AWS Console Sign In via CloudTrail"
	if !signIn {
		source = "aws." + strings.TrimSuffix(field(record, "eventSource"), ".amazonaws.com")
		detailType = "AWS API Call via CloudTrail"
	}
	var b bytes.Buffer
	b.Grow(len(record) + 300)
	fmt.Fprintf(&b, `{"version":"0","id":"7bf73129-1428-4cd3-a780-%012x","detail-type":%q,"source":%q,"account":%q,"time":%q,"region":%q,"resources":[],"detail":`,
		n, detailType, source, field(record, "recipientAccountId"), field(record, "eventTime"), field(record, "awsRegion"))
	b.Write(record)
	b.WriteByte('}')
	return b.Bytes()
}

// field is the string value of a top-level field trailgen wrote ("name":"value").
func field(record []byte, name string) string {
	key := []byte(`"` + name + `":"`)
	i := bytes.LastIndex(record, key) // top-level fields follow the nested userIdentity
	if i < 0 {
		return ""
	}
	rest := record[i+len(key):]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

// Result is what a run did.
type Result struct {
	Events      int // distinct events
	Deliveries  int // invocations, redeliveries and retries included
	Redelivered int
	Retries     int           // invocations that failed (and were retried)
	Failed      int           // events that failed every attempt (lost: must be 0)
	Elapsed     time.Duration // wall time of the whole run
	FirstErrors []string
}

// PerSecond is the events per second of wall time.
func (r Result) PerSecond() float64 { return float64(r.Events) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%d events (%d deliveries, %d redelivered, %d retried, %d failed) in %s: %.0f events/s with %d in flight",
		r.Events, r.Deliveries, r.Redelivered, r.Retries, r.Failed, r.Elapsed.Round(time.Millisecond), r.PerSecond(), InFlight)
}

// retryAfter are the waits before each attempt at an event: Lambda retries a failed
// asynchronous invocation after about a minute and then two, EventBridge keeps retrying for
// up to a day; scaled down here, long enough for the invocation holding an alert's claim to
// finish (a redelivery that finds a claim in progress fails, to be retried).
var retryAfter = []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second, 5 * time.Second}

// Run delivers n events of src through handle with InFlight invocations at once. One event
// in RedeliverEvery is delivered again about a hundred events later (so sometimes while the
// first delivery is still running); an invocation that fails is retried after a wait
// (retryAfter), as Lambda and EventBridge retry, and counted Failed if every attempt fails.
func Run(ctx context.Context, n int, src *Source, handle func(context.Context, []byte) error) Result {
	type job struct {
		raw   []byte
		again bool
	}
	jobs := make(chan job, InFlight*4)
	var res Result
	var deliveries, retries, failed, redelivered atomic.Int64
	var errMu sync.Mutex
	start := time.Now()
	go func() {
		defer close(jobs)
		var later [][]byte
		for i := 0; i < n; i++ {
			raw := src.Next()
			jobs <- job{raw: raw}
			if i%RedeliverEvery == RedeliverEvery-1 {
				later = append(later, raw)
			}
			if len(later) > 5 {
				jobs <- job{raw: later[0], again: true}
				later = later[1:]
			}
		}
		for _, raw := range later {
			jobs <- job{raw: raw, again: true}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < InFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if j.again {
					redelivered.Add(1)
				}
				var err error
				for attempt := 0; attempt < len(retryAfter); attempt++ {
					time.Sleep(retryAfter[attempt])
					deliveries.Add(1)
					if err = handle(ctx, j.raw); err == nil {
						break
					}
					retries.Add(1)
				}
				if err != nil {
					failed.Add(1)
					errMu.Lock()
					if len(res.FirstErrors) < 5 {
						res.FirstErrors = append(res.FirstErrors, err.Error())
					}
					errMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	res.Events, res.Elapsed = n, time.Since(start)
	res.Deliveries, res.Retries, res.Failed, res.Redelivered = int(deliveries.Load()), int(retries.Load()), int(failed.Load()), int(redelivered.Load())
	return res
}

// Tap stands between a handler and its alert Sender and remembers the fingerprint of every
// alert the handler raised: what must reach the topic exactly once.
type Tap struct {
	Next alert.Publisher
	mu   sync.Mutex
	seen map[string]int
}

// Publish records the alerts' fingerprints and hands them on.
func (t *Tap) Publish(ctx context.Context, alerts []alert.Alert) error {
	t.mu.Lock()
	if t.seen == nil {
		t.seen = map[string]int{}
	}
	for _, a := range alerts {
		t.seen[a.Fingerprint()]++
	}
	t.mu.Unlock()
	return t.Next.Publish(ctx, alerts)
}

// Raised returns the distinct fingerprints raised and how often each was.
func (t *Tap) Raised() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.seen))
	for k, v := range t.seen {
		out[k] = v
	}
	return out
}

// CheckAlerts compares what was raised with the fingerprints that reached the topic: each
// raised finding sent exactly once (none lost, none twice; repeats of a finding are counted
// by the ledger, not sent). It returns the number of distinct findings.
func CheckAlerts(t testing.TB, raised map[string]int, sent []string) int {
	t.Helper()
	count := map[string]int{}
	for _, fp := range sent {
		count[fp]++
	}
	var twice, lost, unraised int
	for fp, n := range count {
		if n > 1 {
			twice++
			if twice <= 3 {
				t.Errorf("alert %s sent %d times", fp, n)
			}
		}
		if raised[fp] == 0 {
			unraised++
		}
	}
	for fp := range raised {
		if count[fp] == 0 {
			lost++
			if lost <= 3 {
				t.Errorf("alert %s raised but never sent", fp)
			}
		}
	}
	if twice+lost+unraised > 0 {
		t.Errorf("alerts: %d raised, %d sent: %d sent twice, %d lost, %d sent but never raised", len(raised), len(sent), twice, lost, unraised)
	}
	return len(raised)
}

// Requests is an http.RoundTripper that counts the requests of an AWS client by operation
// (X-Amz-Target, e.g. DynamoDB_20120810.PutItem → PutItem) and the time spent waiting for
// answers: what an emulator costs the run.
type Requests struct {
	Next http.RoundTripper
	mu   sync.Mutex
	ops  map[string]int
	wait time.Duration
}

// RoundTrip counts and times one request.
func (c *Requests) RoundTrip(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target") // JSON protocols; the query protocol (SNS) names it in the body
	if op == "" {
		op = "request"
	}
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	start := time.Now()
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	c.mu.Lock()
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	c.ops[op]++
	c.wait += time.Since(start)
	c.mu.Unlock()
	return resp, err
}

// Do makes Requests an SDK HTTP client (aws.Config.HTTPClient).
func (c *Requests) Do(r *http.Request) (*http.Response, error) { return c.RoundTrip(r) }

// Ops returns the requests counted per operation.
func (c *Requests) Ops() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.ops))
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}

// Total is the number of requests counted.
func (c *Requests) Total() int {
	n := 0
	for _, v := range c.Ops() {
		n += v
	}
	return n
}

// Wait is the summed time requests waited for their answers (over all in flight).
func (c *Requests) Wait() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wait
}

// Report logs a run's result, its requests per event and how much of the run's in-flight
// time went to waiting for the emulator: near 100 %, the emulator was the limit.
func Report(t testing.TB, name string, res Result, reqs map[string]*Requests) {
	t.Helper()
	t.Logf("LOADTEST %s: %s", name, res)
	busy := res.Elapsed.Seconds() * InFlight
	for svc, r := range reqs {
		ops := r.Ops()
		var parts []string
		for op, n := range ops {
			parts = append(parts, fmt.Sprintf("%s %d (%.4f/event)", op, n, float64(n)/float64(res.Events)))
		}
		t.Logf("LOADTEST %s: %s requests %d (%.4f per event): %s; waiting on %s: %.0f%% of in-flight time",
			name, svc, r.Total(), float64(r.Total())/float64(res.Events), strings.Join(parts, ", "), svc, 100*r.Wait().Seconds()/busy)
	}
	for _, e := range res.FirstErrors {
		t.Logf("LOADTEST %s: error: %s", name, e)
	}
	if res.Failed > 0 {
		t.Errorf("%s: %d events failed every attempt (lost)", name, res.Failed)
	}
}

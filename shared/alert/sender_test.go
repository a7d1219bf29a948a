package alert

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailguard/trailguard/shared/awsfake"
	"github.com/trailguard/trailguard/shared/testenv"
)

const testTopic = "arn:aws:sns:us-east-1:111122223333:trailguard-alerts"

// rig is a Sender wired through the real SDK clients: SNS to the wire fake, the ledger to
// dynalite (with a throttling transport in front).
type rig struct {
	sender   *Sender
	sns      *awsfake.SNS
	ledger   *DynamoDBLedger
	throttle *awsfake.Throttler
	clock    time.Time
}

func newRig(t *testing.T, window time.Duration) *rig {
	t.Helper()
	r := &rig{sns: awsfake.NewSNS(t, testTopic), throttle: &awsfake.Throttler{}, clock: t0}
	base := testenv.DynamoDB(t)
	client := dynamodb.New(base.Options(), func(o *dynamodb.Options) { o.HTTPClient = &http.Client{Transport: r.throttle} })
	r.ledger = &DynamoDBLedger{Client: client, Table: testenv.CreateTable(t, base, "AlertStateTable"),
		Options: LedgerOptions{Window: window, DedupeFor: 24 * time.Hour}}
	r.sender = &Sender{
		Ledger:    r.ledger,
		Publisher: &SNS{Client: sns.NewFromConfig(awsfake.Config(r.sns.URL())), TopicARN: testTopic, Backoff: time.Millisecond},
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:       func() time.Time { return r.clock },
	}
	return r
}

func (r *rig) counts(t *testing.T, a Alert) (int, int) {
	return dynamoCounts(t, r.ledger, &a)
}

func TestSenderRedeliveryPublishesOnce(t *testing.T) {
	r := newRig(t, time.Hour)
	ctx := context.Background()
	a := alertFor("e1")
	for i := range 2 {
		if err := r.sender.Publish(ctx, []Alert{a}); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if got := len(r.sns.Published()); got != 1 {
		t.Fatalf("published %d, want 1", got)
	}
	msg := r.sns.Published()[0]
	if msg.MessageStructure != "json" || msg.Subject == "" || msg.Attributes["severity"].StringValue != "HIGH" {
		t.Errorf("published message %+v", msg)
	}
}

func TestSenderFiftyInWindowPublishOnceAndCount(t *testing.T) {
	r := newRig(t, time.Hour)
	ctx := context.Background()
	for i := range 50 {
		r.clock = t0.Add(time.Duration(i) * time.Second)
		if err := r.sender.Publish(ctx, []Alert{alertFor("e" + strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(r.sns.Published()); got != 1 {
		t.Fatalf("published %d, want 1", got)
	}
	total, suppressed := r.counts(t, alertFor("any"))
	if total != 50 || suppressed != 49 {
		t.Errorf("fingerprint counts total=%d suppressed=%d, want 50 and 49", total, suppressed)
	}
	// The first alert after the window reports the 49 held back.
	r.clock = t0.Add(2 * time.Hour)
	if err := r.sender.Publish(ctx, []Alert{alertFor("after")}); err != nil {
		t.Fatal(err)
	}
	pub := r.sns.Published()
	if len(pub) != 2 {
		t.Fatalf("published %d, want 2", len(pub))
	}
	parts, err := pub[1].Structured()
	if err != nil {
		t.Fatal(err)
	}
	if want := " +49 since 10:02"; parts["sms"][len(parts["sms"])-len(want):] != want {
		t.Errorf("sms %q does not report the 49 suppressed", parts["sms"])
	}
}

func TestSenderPublishFailureReleasesForRetry(t *testing.T) {
	for _, kind := range []awsfake.Failure{awsfake.InternalError, awsfake.Throttling} {
		t.Run(strconv.Itoa(int(kind)), func(t *testing.T) {
			r := newRig(t, time.Hour)
			ctx := context.Background()
			a := alertFor("e1")
			r.sns.FailNext(3, kind) // as many as the SDK's default attempts: the invocation fails
			if err := r.sender.Publish(ctx, []Alert{a}); err == nil {
				t.Fatal("publish failed but Publish returned nil")
			}
			if got := r.sns.Requests(); got != 3 {
				t.Fatalf("SNS saw %d requests, want 3 (the SDK retried)", got)
			}
			if got := len(r.sns.Published()); got != 0 {
				t.Fatalf("published %d during the outage", got)
			}
			if total, _ := r.counts(t, a); total != 0 {
				t.Errorf("failed alert still counted: total=%d", total)
			}
			r.clock = t0.Add(time.Minute) // Lambda's retry
			if err := r.sender.Publish(ctx, []Alert{a}); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if err := r.sender.Publish(ctx, []Alert{a}); err != nil {
				t.Fatalf("second retry: %v", err)
			}
			if got := len(r.sns.Published()); got != 1 {
				t.Fatalf("published %d after the retries, want exactly 1", got)
			}
		})
	}
}

func TestSenderBatchRetriesOnlyFailedEntries(t *testing.T) {
	r := newRig(t, time.Hour)
	ctx := context.Background()
	var alerts []Alert
	for i := range 12 { // 12 distinct findings: a batch of 10 and one of 2
		a := alertFor("e" + strconv.Itoa(i))
		a.SourceIP = "203.0.113." + strconv.Itoa(i)
		a.Principal += strconv.Itoa(i) // 12 principals: no flood control
		alerts = append(alerts, a)
	}
	r.sns.FailBatchEntries("3", "7") // entry ids are the alerts' indexes
	if err := r.sender.Publish(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	pub := r.sns.Published()
	if len(pub) != 12 {
		t.Fatalf("published %d, want 12", len(pub))
	}
	seen := map[string]int{}
	for _, m := range pub {
		seen[m.BatchEntryID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("entry %s delivered %d times", id, n)
		}
	}
	// 2 batch requests, then one re-send holding exactly the two failed entries.
	if got := r.sns.Requests(); got != 3 {
		t.Errorf("SNS requests = %d, want 3 (two batches and one re-send of the failed entries)", got)
	}
	// The first batch delivers its 8 good entries, the re-send the 2 failed ones, then the
	// second batch follows.
	if ids := []string{pub[8].BatchEntryID, pub[9].BatchEntryID}; ids[0] != "3" || ids[1] != "7" {
		t.Errorf("re-sent entries %v, want [3 7]", ids)
	}
}

func TestSenderDynamoDBThrottlingLosesNothing(t *testing.T) {
	r := newRig(t, time.Hour)
	ctx := context.Background()
	r.throttle.ThrottleNext(2) // the claim's first two tries
	if err := r.sender.Publish(ctx, []Alert{alertFor("e1")}); err != nil {
		t.Fatalf("throttled ledger: %v", err)
	}
	if r.throttle.Throttled() != 2 {
		t.Fatalf("throttled %d requests, want 2", r.throttle.Throttled())
	}
	if got := len(r.sns.Published()); got != 1 {
		t.Fatalf("published %d, want 1", got)
	}
	// Throttling that outlasts the SDK's retries fails the invocation and loses nothing:
	// the retry sends the alert.
	b := alertFor("e2")
	b.SourceIP = "198.51.100.99"
	r.throttle.ThrottleNext(3) // the SDK's default attempts, all throttled
	if err := r.sender.Publish(ctx, []Alert{b}); err == nil {
		t.Fatal("ledger unavailable but Publish returned nil")
	}
	if err := r.sender.Publish(ctx, []Alert{b}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := len(r.sns.Published()); got != 2 {
		t.Fatalf("published %d, want 2", got)
	}
}

func TestSenderConcurrentSameAlert(t *testing.T) {
	r := newRig(t, time.Hour)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.sender.Publish(ctx, []Alert{alertFor("e" + strconv.Itoa(i))}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := len(r.sns.Published()); got != 1 {
		t.Fatalf("published %d, want exactly 1", got)
	}
	if total, suppressed := r.counts(t, alertFor("x")); total != 20 || suppressed != 19 {
		t.Errorf("counts total=%d suppressed=%d, want 20 and 19", total, suppressed)
	}
}

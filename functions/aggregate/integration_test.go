package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	json "github.com/goccy/go-json"
	"github.com/klauspost/compress/gzip"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/testenv"
)

// stack is the aggregator wired to the emulators through the real SDK clients: log files in
// an s3rver bucket, counters in a dynalite table made from template.yaml.
type stack struct {
	t      *testing.T
	s3     *s3.Client
	ddb    *dynamodb.Client
	bucket string
	table  *counters.Table
	h      *Handler
	sent   *alerttest.Recorder // what the alert layer let through
	rep    *reports
}

func newStack(t *testing.T) *stack {
	s := &stack{t: t, s3: testenv.S3(t), ddb: testenv.DynamoDB(t), sent: &alerttest.Recorder{}, rep: &reports{}}
	s.bucket = testenv.S3Bucket(t, s.s3)
	s.table = &counters.Table{Client: s.ddb, Name: testenv.CreateTable(t, s.ddb, "CountersTable"), Retention: 90 * 24 * time.Hour, Concurrency: 16,
		Now: func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }}
	h, _, _ := newHandler(t)
	h.Objects = &s3Objects{Client: s.s3}
	h.Store = s.table
	h.Bucket = s.bucket
	h.Layout = keylayout.CloudTrail()
	h.Report = s.rep.report
	h.Alerts = &alert.Sender{Ledger: &alert.MemoryLedger{Options: alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour}},
		Publisher: s.sent, Log: h.Log}
	s.h = h
	return s
}

// put uploads a gzipped log file of records and returns the EventBridge event announcing it.
func (s *stack) put(key string, records [][]byte) []byte {
	s.t.Helper()
	var plain bytes.Buffer
	plain.WriteString(`{"Records":[`)
	plain.Write(bytes.Join(records, []byte(",")))
	plain.WriteString("]}")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	out, err := s.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(gz.Bytes())})
	if err != nil {
		s.t.Fatal(err)
	}
	ev := map[string]any{
		"version": "0", "id": fmt.Sprintf("%x", rand.Uint64()), "detail-type": "Object Created", "source": "aws.s3",
		"account": "111122223333", "time": "2026-11-20T08:20:00Z", "region": "us-east-1", "resources": []string{"arn:aws:s3:::" + s.bucket},
		"detail": map[string]any{"version": "0", "bucket": map[string]any{"name": s.bucket},
			"object":     map[string]any{"key": key, "size": gz.Len(), "etag": strings.Trim(aws.ToString(out.ETag), `"`), "sequencer": "0067A1D8B2C4E6F811"},
			"request-id": "N4N7GDK58NMKJ12R", "requester": "cloudtrail.amazonaws.com", "source-ip-address": "192.0.2.10", "reason": "PutObject"},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	return raw
}

// counts merges the staged files (the scheduled flush, once their hours have settled), then
// reads back every activity counter of the planted accounts and hours.
func (s *stack) counts(plan map[counters.Key]int64) map[counters.Key]int64 {
	s.t.Helper()
	if _, err := s.table.Flush(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	return s.read(plan)
}

// read reads back every activity counter of the planted accounts and hours, as they are.
func (s *stack) read(plan map[counters.Key]int64) map[counters.Key]int64 {
	s.t.Helper()
	got := map[counters.Key]int64{}
	seen := map[[2]string]bool{}
	for k := range plan {
		ah := [2]string{k.Account, k.Hour}
		if seen[ah] {
			continue
		}
		seen[ah] = true
		rows, err := s.table.AccountHour(context.Background(), k.Account, k.Hour)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, r := range rows {
			got[r.Key] = r.Count
		}
	}
	return got
}

func sameCounts(t *testing.T, what string, got, want map[counters.Key]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d counters, want %d", what, len(got), len(want))
	}
	bad := 0
	for k, n := range want {
		if got[k] != n {
			if bad++; bad <= 5 {
				t.Errorf("%s: %+v = %d, want %d", what, k, got[k], n)
			}
		}
	}
}

// plannedFile makes n records over a known plan of counters (mixed identity types, IPv4 and
// IPv6 sources, service hostnames and "AWS Internal", errors, two accounts, two hours),
// shuffled, plus the given number of malformed records. The plan is the expected counts.
func plannedFile(seed uint64, n, malformed int) ([][]byte, map[counters.Key]int64) {
	g := trailgen.New(seed, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), 1, 10, 16)
	rng := rand.New(rand.NewPCG(seed, 7))
	type call struct{ source, name, rtype string }
	calls := []call{{"s3.amazonaws.com", "GetObject", "AWS::S3::Object"}, {"ec2.amazonaws.com", "DescribeInstances", ""},
		{"kms.amazonaws.com", "Decrypt", "AWS::KMS::Key"}, {"sts.amazonaws.com", "AssumeRole", "AWS::IAM::Role"}, {"iam.amazonaws.com", "CreateUser", "AWS::IAM::User"}}
	var specs []trailgen.Spec
	plan := map[counters.Key]int64{}
	for i := 0; len(specs) < n; i++ {
		account := []string{"111122223333", "444455556666"}[i%2]
		id := trailgen.MakeIdentity(account, i%10)
		source := trailgen.MakeSource(i % 16)
		if id.Type == "AWSService" {
			source = id.InvokedBy
		}
		c := calls[i%len(calls)]
		errCode := []string{"", "", "", "AccessDenied", "Client.UnauthorizedOperation"}[i/5%5]
		at := time.Date(2026, 11, 20, 8+i%2, 0, 0, 0, time.UTC)
		count := min(1+i%97, n-len(specs))
		for range count {
			specs = append(specs, trailgen.Spec{Time: at.Add(time.Duration(rng.IntN(3600)) * time.Second), Account: account, Identity: id,
				SourceIP: source, EventSource: c.source, EventName: c.name, EventType: "AwsApiCall", ErrorCode: errCode, ResourceType: c.rtype})
		}
	}
	rng.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
	var recs [][]byte
	for _, s := range specs {
		rec := g.Append(nil, s)
		var region struct {
			AWSRegion string `json:"awsRegion"` // the generator draws it per record
		}
		if err := json.Unmarshal(rec, &region); err != nil {
			panic(err)
		}
		recs = append(recs, rec)
		plan[counters.Key{Hour: s.Time.Format(counters.HourLayout), Account: s.Account, Principal: s.Identity.Principal, SourceIP: s.SourceIP,
			EventName: s.EventName, ResourceType: s.ResourceType, ErrorCode: s.ErrorCode, EventType: s.EventType,
			Region: region.AWSRegion, EventSource: s.EventSource}]++
	}
	for i := range malformed {
		at := (i + 1) * len(recs) / (malformed + 1)
		bad := []byte(`{"eventVersion":"1.10","eventTime":"2026-11-20T08:00:00Z","eventName":"GetObject","requestParameters":{"bucketName":tru}}`)
		recs = append(recs[:at], append([][]byte{bad}, recs[at:]...)...)
	}
	return recs, plan
}

// TestIntegrationCountsExactlyOnce: a file of 10,000 records with known counts gives exactly
// those counters; the same event again changes nothing; a second file whose counter writes
// fail half-way gives exact counts once retried.
func TestIntegrationCountsExactlyOnce(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	recs, plan := plannedFile(1, 10_000, 3)
	ev := s.put("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0905Z_a1.json.gz", recs)
	if _, err := s.h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if sum := s.rep.sums[0]; sum.Records != 10_003 || sum.Malformed != 3 || sum.Counters != len(plan) {
		t.Errorf("summary %+v, want 10003 records, 3 malformed, %d counters", sum, len(plan))
	}
	sameCounts(t, "first delivery", s.counts(plan), plan)

	if _, err := s.h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if sum := s.rep.sums[1]; sum.Written != 0 || sum.Already != s.rep.sums[0].Written {
		t.Errorf("redelivery wrote %d items, found %d applied; want 0 and %d", sum.Written, sum.Already, s.rep.sums[0].Written)
	}
	sameCounts(t, "after the redelivery", s.counts(plan), plan)

	recs2, plan2 := plannedFile(2, 4_000, 0)
	ev2 := s.put("AWSLogs/444455556666/CloudTrail/eu-west-1/2026/11/20/444455556666_CloudTrail_eu-west-1_20261120T0910Z_b2.json.gz", recs2)
	// The merge of the second file fails half-way through its writes, then is retried.
	if _, err := s.h.Handle(ctx, ev2); err != nil {
		t.Fatal(err)
	}
	// One write per counter item (a counter's regions share an item), plus the principal
	// totals (≤ 10 principals × 2 accounts).
	items := map[counters.Key]bool{}
	for k := range plan2 {
		k.Region = ""
		items[k] = true
	}
	writes := len(items) + 20
	flaky := &failingAfter{DynamoDB: s.ddb, n: int64(writes / 2)}
	broken := &counters.Table{Client: flaky, Name: s.table.Name, Retention: s.table.Retention, Concurrency: 16, Now: s.table.Now}
	if _, err := broken.Flush(ctx); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("merge with the injected failure: error %v", err)
	}
	both := map[counters.Key]int64{}
	for k, n := range plan {
		both[k] += n
	}
	for k, n := range plan2 {
		both[k] += n
	}
	half := s.read(both)
	done := 0
	for k, n := range plan2 {
		if half[k] == plan[k]+n {
			done++
		}
	}
	if done == 0 || done == len(plan2) {
		t.Fatalf("test setup: %d of the second file's %d counters written before the failure, want some but not all", done, len(plan2))
	}
	// Delivered again meanwhile: nothing staged twice.
	if _, err := s.h.Handle(ctx, ev2); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "after the retry", s.counts(both), both)

	// The busiest principals of the day are the plan's, summed over both hours and files.
	perPrincipal := map[string]int64{}
	for k, n := range both {
		if k.Account == "111122223333" {
			perPrincipal[k.Principal] += n
		}
	}
	busiest, err := s.table.BusiestPrincipals(ctx, "111122223333", "2026-11-20", 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range busiest {
		if perPrincipal[b.Principal] != b.Count {
			t.Errorf("busiest %s: %d, plan says %d", b.Principal, b.Count, perPrincipal[b.Principal])
		}
		for p, n := range perPrincipal {
			if n > b.Count && !containsPrincipal(busiest, p) {
				t.Errorf("%s (%d calls) is busier than %s (%d) but not listed", p, n, b.Principal, b.Count)
			}
		}
	}
}

func containsPrincipal(list []counters.PrincipalCount, p string) bool {
	for _, x := range list {
		if x.Principal == p {
			return true
		}
	}
	return false
}

// TestIntegrationThresholdCrossedByTheThirdFile: 2 failed sign-ins from one source in each of
// three files (threshold 5) raise one alert, with the third file; its redelivery sends nothing.
func TestIntegrationThresholdCrossedByTheThirdFile(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	g := trailgen.New(3, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), 1, 10, 4)
	var events [][]byte
	for f := range 3 {
		var recs [][]byte
		for i := range 2 {
			recs = append(recs, g.Append(nil, trailgen.Spec{Time: time.Date(2026, 11, 20, 8, 10*f+i, 0, 0, time.UTC), Account: "111122223333",
				Identity: sampleAlice, SourceIP: "203.0.113.66", EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin",
				EventType: "AwsConsoleSignIn", SignInResult: "Failure"}))
			recs = append(recs, g.Append(nil, g.Random(1)))
		}
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T08%d5Z_f%d.json.gz", f, f)
		events = append(events, s.put(key, recs))
	}
	for i, ev := range append(events, events[2]) {
		if _, err := s.h.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		wantSent := 0
		if i >= 2 {
			wantSent = 1
		}
		if len(s.sent.Alerts()) != wantSent {
			t.Fatalf("after file %d: %d alerts sent, want %d", i+1, len(s.sent.Alerts()), wantSent)
		}
	}
	a := s.sent.Alerts()[0]
	if a.Kind != KindFailedSignIns || a.SourceIP != "203.0.113.66" || a.EventID != "2026-11-20T08#203.0.113.66" || !strings.Contains(a.Details[1].Value, "6 in the hour") {
		t.Errorf("alert %+v", a)
	}
}

// failingAfter is a DynamoDB client whose UpdateItem calls fail once n have gone through.
type failingAfter struct {
	counters.DynamoDB
	n     int64
	calls atomic.Int64
}

func (f *failingAfter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.calls.Add(1) > f.n {
		return nil, errors.New("injected failure: connection reset")
	}
	return f.DynamoDB.UpdateItem(ctx, in, opts...)
}

// TestIntegrationMemoryCeiling: a file with five times more distinct counters than the budget
// is staged in parts and merged to exact counts; its redelivery adds nothing.
func TestIntegrationMemoryCeiling(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	s.h.MaxCounters = 20
	recs, plan := plannedFile(6, 6_000, 0)
	ev := s.put("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0905Z_big.json.gz", recs)
	for range 2 {
		if _, err := s.h.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if sum := s.rep.sums[0]; sum.Parts < len(plan)/20 || s.rep.sums[1].Written != 0 {
		t.Errorf("summaries %+v, want %d parts or more, none written again", s.rep.sums, len(plan)/20)
	}
	sameCounts(t, "after the parts and the redelivery", s.counts(plan), plan)
}

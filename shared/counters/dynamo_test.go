package counters_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/testenv"
)

// failingAfter is a DynamoDB client whose UpdateItem calls fail once n have gone through:
// a function timing out, or DynamoDB failing, half-way through a file's writes.
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

const hour = "2026-11-20T08"

// fileTally: account 111122223333, principals p0…p9 from sources; counts by construction.
// p(i) calls GetObject i+1 times from 192.0.2.(i%3) and is denied once; source 203.0.113.66
// fails 2 sign-ins.
func fileTally(scale int) (*counters.Tally, map[counters.Key]int64) {
	t := counters.NewTally()
	want := map[counters.Key]int64{}
	add := func(k counters.Key, n int) {
		for range n {
			t.Add(&k)
		}
		want[k] += int64(n)
	}
	for i := range 10 {
		p := fmt.Sprintf("arn:aws:iam::111122223333:user/p%d", i)
		add(counters.Key{hour, "111122223333", p, fmt.Sprintf("192.0.2.%d", i%3), "GetObject", "AWS::S3::Object", "", "AwsApiCall"}, (i+1)*scale)
		add(counters.Key{hour, "111122223333", p, "192.0.2.9", "CreateUser", "AWS::IAM::User", "AccessDenied", "AwsApiCall"}, scale)
		for range scale {
			t.AddRule("access-denied", hour, p, "111122223333")
		}
	}
	add(counters.Key{hour, "111122223333", "arn:aws:iam::111122223333:user/alice", "203.0.113.66", "ConsoleLogin", "", "", "AwsConsoleSignIn"}, 2*scale)
	for range 2 * scale {
		t.AddRule("failed-sign-ins", hour, "203.0.113.66", "111122223333")
	}
	return t, want
}

func table(t *testing.T, client counters.DynamoDB, name string) *counters.Table {
	return &counters.Table{Client: client, Name: name, Retention: 90 * 24 * time.Hour, Concurrency: 8}
}

func accountRows(t *testing.T, tb *counters.Table) map[counters.Key]int64 {
	t.Helper()
	rows, err := tb.AccountHour(context.Background(), "111122223333", hour)
	if err != nil {
		t.Fatal(err)
	}
	got := map[counters.Key]int64{}
	for _, r := range rows {
		got[r.Key] = r.Count
	}
	return got
}

func equalCounts(t *testing.T, what string, got, want map[counters.Key]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d counters, want %d", what, len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %+v = %d, want %d", what, k, got[k], n)
		}
	}
}

// TestTableExactlyOnce: a file applied twice, and a file whose writes fail half-way and are
// retried, leave exactly their counts; thresholds see the same totals on every application.
func TestTableExactlyOnce(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	name := testenv.CreateTable(t, client, "CountersTable")
	tb := table(t, client, name)
	f1 := counters.FileID{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/a.json.gz", ETag: `"e1"`}
	f2 := counters.FileID{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/b.json.gz", ETag: "e2"}
	t1, want1 := fileTally(1)
	t2, want2 := fileTally(2)
	items := t1.Len() + 11 + 11 // activity counters, principal totals (p0…p9, alice), rule counters

	first, err := tb.Apply(ctx, f1, t1)
	if err != nil {
		t.Fatal(err)
	}
	if first.Written != items || first.Already != 0 {
		t.Errorf("first application %+v, want %d written", first, items)
	}
	again, err := tb.Apply(ctx, f1, t1)
	if err != nil {
		t.Fatal(err)
	}
	if again.Written != 0 || again.Already != items {
		t.Errorf("redelivery %+v, want all %d already applied", again, items)
	}
	if !slices.Equal(ruleTotals(first.Rules), ruleTotals(again.Rules)) {
		t.Errorf("rule totals differ on redelivery: %v then %v", ruleTotals(first.Rules), ruleTotals(again.Rules))
	}
	equalCounts(t, "after the redelivery", accountRows(t, tb), want1)

	// The second file fails after half of its activity counters' writes, then is retried. Those
	// writes go out first, at most 8 at a time: the first half succeed and the rest fail,
	// however the concurrent writes interleave.
	broken := table(t, &failingAfter{DynamoDB: client, n: int64(t2.Len() / 2)}, name)
	if _, err := broken.Apply(ctx, f2, t2); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Apply with the injected failure: error %v", err)
	}
	partial := accountRows(t, tb)
	changed := 0
	for k := range want1 {
		if partial[k] != want1[k] {
			changed++
		}
	}
	if changed == 0 || changed == len(want1) {
		t.Fatalf("test setup: %d of %d counters changed by the broken application, want some but not all", changed, len(want1))
	}
	retry, err := tb.Apply(ctx, f2, t2)
	if err != nil {
		t.Fatal(err)
	}
	if retry.Written+retry.Already != items || retry.Written == 0 || retry.Already == 0 {
		t.Errorf("retry %+v: want the unwritten items written and the others found applied", retry)
	}
	wantBoth := map[counters.Key]int64{}
	for k, n := range want1 {
		wantBoth[k] = n + want2[k]
	}
	equalCounts(t, "after the retry", accountRows(t, tb), wantBoth)
	for _, r := range retry.Rules {
		wantBefore := map[string]int64{"failed-sign-ins": 2, "access-denied": 1}[r.Rule]
		if r.Before != wantBefore || r.After != 3*wantBefore {
			t.Errorf("rule %s %s: before %d after %d, want %d %d (as if applied once)", r.Rule, r.Subject, r.Before, r.After, wantBefore, 3*wantBefore)
		}
	}
}

func ruleTotals(rs []counters.RuleResult) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s/%s/%s:%d→%d", r.Rule, r.Hour, r.Subject, r.Before, r.After))
	}
	return out
}

// TestTableQueries: the three questions, each one Query, and expired items left out.
func TestTableQueries(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	tb := table(t, client, testenv.CreateTable(t, client, "CountersTable"))
	tl, _ := fileTally(1)
	// The next hour, and another account using one of the sources.
	next := counters.Key{"2026-11-20T09", "111122223333", "arn:aws:iam::111122223333:user/p9", "192.0.2.0", "ListBuckets", "", "", "AwsApiCall"}
	other := counters.Key{hour, "444455556666", "arn:aws:iam::444455556666:user/bob", "192.0.2.0", "GetObject", "AWS::S3::Object", "", "AwsApiCall"}
	for range 7 {
		tl.Add(&next)
	}
	tl.Add(&other)
	if _, err := tb.Apply(ctx, counters.FileID{Bucket: "trail", Key: "k", ETag: "e"}, tl); err != nil {
		t.Fatal(err)
	}

	fromSource, err := tb.SourceHour(ctx, "192.0.2.0", hour)
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, r := range fromSource {
		sources = append(sources, r.Account+" "+r.Principal+" "+strconv.FormatInt(r.Count, 10))
	}
	slices.Sort(sources)
	wantSources := []string{ // p0, p3, p6, p9 call from 192.0.2.0 (i%3 == 0), i+1 times; bob once
		"111122223333 arn:aws:iam::111122223333:user/p0 1", "111122223333 arn:aws:iam::111122223333:user/p3 4",
		"111122223333 arn:aws:iam::111122223333:user/p6 7", "111122223333 arn:aws:iam::111122223333:user/p9 10",
		"444455556666 arn:aws:iam::444455556666:user/bob 1",
	}
	if !slices.Equal(sources, wantSources) {
		t.Errorf("source 192.0.2.0 in %s:\n%q\nwant\n%q", hour, sources, wantSources)
	}

	busiest, err := tb.BusiestPrincipals(ctx, "111122223333", "2026-11-20", 3)
	if err != nil {
		t.Fatal(err)
	}
	// p9: 10 GetObject + 1 denied + 7 in the next hour; p8: 9 + 1; p7: 8 + 1.
	want := []counters.PrincipalCount{{"arn:aws:iam::111122223333:user/p9", 18}, {"arn:aws:iam::111122223333:user/p8", 10}, {"arn:aws:iam::111122223333:user/p7", 9}}
	if !slices.Equal(busiest, want) {
		t.Errorf("busiest principals %v, want %v", busiest, want)
	}

	tb.Now = func() time.Time { return time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).Add(91 * 24 * time.Hour) }
	if rows, err := tb.AccountHour(ctx, "111122223333", hour); err != nil || len(rows) != 0 {
		t.Errorf("after the retention: %d rows (error %v), want none", len(rows), err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tb.Name), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "R#failed-sign-ins#" + hour}, "sk": &types.AttributeValueMemberS{Value: "203.0.113.66"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := out.Item["expires_at"].(*types.AttributeValueMemberN)
	wantExp := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).Add(90 * 24 * time.Hour).Unix()
	if exp == nil || exp.Value != strconv.FormatInt(wantExp, 10) {
		t.Errorf("rule counter expires_at %v, want %d (end of the hour + 90 days)", out.Item["expires_at"], wantExp)
	}
}

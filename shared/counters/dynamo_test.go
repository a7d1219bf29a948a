package counters_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// fileTally: account 111122223333, principals p0…p9 from sources in us-east-1; counts by
// construction. p(i) calls GetObject i+1 times from 192.0.2.(i%3) and is denied once; source
// 203.0.113.66 fails 2 sign-ins (records without a region).
func fileTally(scale int) (*counters.Tally, map[counters.Key]int64) {
	return regionTally(scale, "us-east-1")
}

// regionTally is fileTally's file of another region: the same calls from the same sources,
// so its counters are the same items of the table, counted in another region.
func regionTally(scale int, region string) (*counters.Tally, map[counters.Key]int64) {
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
		add(counters.Key{hour, "111122223333", p, fmt.Sprintf("192.0.2.%d", i%3), "GetObject", "AWS::S3::Object", "", "AwsApiCall", region, "s3.amazonaws.com", ""}, (i+1)*scale)
		add(counters.Key{hour, "111122223333", p, "192.0.2.9", "CreateUser", "AWS::IAM::User", "AccessDenied", "AwsApiCall", region, "iam.amazonaws.com", ""}, scale)
		for range scale {
			t.AddRule("access-denied", hour, p, "111122223333")
		}
	}
	add(counters.Key{hour, "111122223333", "arn:aws:iam::111122223333:user/alice", "203.0.113.66", "ConsoleLogin", "", "", "AwsConsoleSignIn", "", "", ""}, 2*scale)
	for range 2 * scale {
		t.AddRule("failed-sign-ins", hour, "203.0.113.66", "111122223333")
	}
	return t, want
}

func table(t *testing.T, client counters.DynamoDB, name string) *counters.Table {
	return &counters.Table{Client: client, Name: name, Retention: 90 * 24 * time.Hour, Concurrency: 8,
		Now: func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }}
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

// TestTableExactlyOnce: files are staged, and merged once per account-hour. A redelivered
// file (before and after the merge), a merge that fails half-way through its writes and is
// retried, a late file for an hour already merged: exact counts every time; thresholds see the
// same totals on every delivery of a file.
func TestTableExactlyOnce(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	name := testenv.CreateTable(t, client, "CountersTable")
	tb := table(t, client, name)
	f1 := counters.FileID{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/a.json.gz", ETag: `"e1"`}
	f2 := counters.FileID{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/b.json.gz", ETag: "e2"}
	f3 := counters.FileID{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20/late.json.gz", ETag: "e3"}
	t1, want1 := fileTally(1)
	t2, want2 := fileTally(2)
	t3, want3 := regionTally(3, "eu-west-1")
	items := 11 + 1 // rule counters, one stage (one account-hour)

	first, err := tb.Apply(ctx, f1, t1)
	if err != nil {
		t.Fatal(err)
	}
	if first.Written != items || first.Already != 0 {
		t.Errorf("first application %+v, want %d written", first, items)
	}
	if got := accountRows(t, tb); len(got) != 0 {
		t.Errorf("%d counters before the merge, want none (staged)", len(got))
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
	flushed := flush(t, tb)
	if flushed.Groups != 1 || flushed.Plans != 1 || flushed.Stages != 1 || flushed.Written != t1.Len()+11 {
		t.Errorf("merge %+v, want 1 account-hour, 1 plan of 1 stage, %d items written", flushed, t1.Len()+11)
	}
	equalCounts(t, "after the redelivery and the merge", accountRows(t, tb), want1)
	checkSummary(t, tb, "after the first merge", 1)
	// Delivered again after its hour was merged: staged again? No: its stage is there, taken.
	if _, err := tb.Apply(ctx, f1, t1); err != nil {
		t.Fatal(err)
	}
	flush(t, tb)
	equalCounts(t, "after a redelivery once merged", accountRows(t, tb), want1)

	// The second file's merge fails after half of its writes, then is retried.
	if _, err := tb.Apply(ctx, f2, t2); err != nil {
		t.Fatal(err)
	}
	broken := table(t, &failingAfter{DynamoDB: client, n: int64(t2.Len() / 2)}, name)
	broken.Now = tb.Now
	if _, err := broken.Flush(ctx); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Flush with the injected failure: error %v", err)
	}
	partial := accountRows(t, tb)
	changed := 0
	for k := range want1 {
		if partial[k] != want1[k] {
			changed++
		}
	}
	if changed == 0 || changed == len(want1) {
		t.Fatalf("test setup: %d of %d counters changed by the broken merge, want some but not all", changed, len(want1))
	}
	if f := flush(t, tb); f.Plans != 1 || f.Written == 0 || f.Written == t2.Len()+11 {
		t.Errorf("retried merge %+v: want the half-done plan finished, only its unwritten items written", f)
	}
	wantBoth := map[counters.Key]int64{}
	for k, n := range want1 {
		wantBoth[k] = n + want2[k]
	}
	equalCounts(t, "after the retried merge", accountRows(t, tb), wantBoth)
	checkSummary(t, tb, "after the retried merge", 2)

	// A late file (another region's, delivered after the hour was merged) for the same hour:
	// its counters are the same items (the region is counted inside them), each counting both
	// regions apart, and the summary read back from them has both regions' exact counts.
	if _, err := tb.Apply(ctx, f3, t3); err != nil {
		t.Fatal(err)
	}
	if f := flush(t, tb); f.Plans != 1 || f.Stages != 1 || f.Written != t3.Len()+11 {
		t.Errorf("late merge %+v, want one plan of the late stage, %d items written", f, t3.Len()+11)
	}
	for k, n := range want3 {
		wantBoth[k] += n
	}
	equalCounts(t, "after the late file", accountRows(t, tb), wantBoth)
	checkSummary(t, tb, "after the late file", 3)
	regions := map[string]int64{}
	sums, err := tb.HourSummaries(ctx, hour, false)
	if err != nil || len(sums) != 1 {
		t.Fatalf("summaries %v (error %v)", sums, err)
	}
	for _, r := range sums[0].Regions {
		regions[r.Region] = r.Count
	}
	if want := (map[string]int64{"us-east-1": 3 * 65, "eu-west-1": 3 * 65, "": 2 + 4 + 6}); !maps.Equal(regions, want) {
		t.Errorf("after the late file: regions %v, want %v", regions, want)
	}
	if n := activityItems(t, client, name); n != t3.Len() {
		t.Errorf("%d activity counter items, want %d: one per counter without its region", n, t3.Len())
	}
	busiest, err := tb.BusiestPrincipals(ctx, "111122223333", "2026-11-20", 1)
	if err != nil || len(busiest) != 1 || busiest[0].Count != 6*(10+1) {
		t.Errorf("busiest %v (error %v), want p9 with 66 calls", busiest, err)
	}
}

// flush merges every staged account-hour, as the scheduled flush does once they are due.
func flush(t *testing.T, tb *counters.Table) counters.Flushed {
	t.Helper()
	f, err := tb.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestTableMergeBudget: an account-hour with more staged counters than the budget is merged
// in several plans, each within it, with exact totals; a second table sharing the items (a
// concurrent flush) merges nothing twice.
func TestTableMergeBudget(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	tb := table(t, client, testenv.CreateTable(t, client, "CountersTable"))
	tb.Budget = 25 // each file has 21 counters: one stage per plan
	want := map[counters.Key]int64{}
	for i := range 4 {
		tl, w := fileTally(i + 1)
		for k, n := range w {
			want[k] += n
		}
		if _, err := tb.Apply(ctx, counters.FileID{Bucket: "trail", Key: fmt.Sprintf("f%d", i), ETag: "e"}, tl); err != nil {
			t.Fatal(err)
		}
	}
	other := *tb
	f, err := tb.FlushGroup(ctx, "111122223333", hour)
	if err != nil {
		t.Fatal(err)
	}
	if f.Plans != 4 || f.Stages != 4 {
		t.Errorf("merge %+v, want 4 plans of one stage", f)
	}
	if f, err := other.Flush(ctx); err != nil || f.Written != 0 {
		t.Errorf("second flush %+v (error %v), want nothing written", f, err)
	}
	equalCounts(t, "after the merges", accountRows(t, tb), want)
	checkSummary(t, tb, "after the budgeted merges", 4)
}

// checkSummary: the account-hour's summary, as the dashboard reads it (one Query of the
// hour), is the summary of its counters as they are, written by the last plan.
func checkSummary(t *testing.T, tb *counters.Table, label string, plan int) {
	t.Helper()
	ctx := context.Background()
	rows, err := tb.AccountHour(ctx, "111122223333", hour)
	if err != nil {
		t.Fatal(err)
	}
	want := counters.Summarize(rows, true)
	got, err := tb.HourSummaries(ctx, hour, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(want) != 1 {
		t.Fatalf("%s: %d summaries, want 1", label, len(got))
	}
	if got[0].Plan != plan {
		t.Errorf("%s: summary of plan %d, want %d", label, got[0].Plan, plan)
	}
	got[0].Plan = 0
	g, _ := json.Marshal(got[0])
	w, _ := json.Marshal(want[0])
	if string(g) != string(w) {
		t.Errorf("%s: summary\n%s\nwant\n%s", label, g, w)
	}
	totals, err := tb.HourSummaries(ctx, hour, false)
	if err != nil || len(totals) != 1 || totals[0].Detail != nil || totals[0].Count != want[0].Count ||
		totals[0].Principals.Size() != want[0].Principals.Size() {
		t.Errorf("%s: totals only %+v (error %v)", label, totals, err)
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
	next := counters.Key{"2026-11-20T09", "111122223333", "arn:aws:iam::111122223333:user/p9", "192.0.2.0", "ListBuckets", "", "", "AwsApiCall", "", "", ""}
	other := counters.Key{hour, "444455556666", "arn:aws:iam::444455556666:user/bob", "192.0.2.0", "GetObject", "AWS::S3::Object", "", "AwsApiCall", "", "", ""}
	for range 7 {
		tl.Add(&next)
	}
	tl.Add(&other)
	if _, err := tb.Apply(ctx, counters.FileID{Bucket: "trail", Key: "k", ETag: "e"}, tl); err != nil {
		t.Fatal(err)
	}
	flush(t, tb)

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

// activityItems is the number of activity counter items of the test's account-hour.
func activityItems(t *testing.T, client counters.DynamoDB, name string) int {
	t.Helper()
	out, err := client.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(name),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "A#111122223333#" + hour}},
		Select:                    types.SelectCount,
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

package godview

import (
	"context"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/tags"
)

// The fixture: a 4-hour range (2026-03-10 10:00 to 14:00 UTC) of three accounts, its
// previous period (06:00 to 10:00) and a week of history, with the answers worked out by hand
// in build_test.go. Calls are in us-east-1 but for bob's (eu-west-1, before and during the
// range) and carol's (ap-southeast-2, new to account B).
const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333" // logged five calls a day before, nothing since: silent
	alice = "arn:aws:iam::111111111111:user/alice"
	bob   = "arn:aws:iam::222222222222:user/bob"
	carol = "arn:aws:sts::222222222222:assumed-role/ops/carol"
)

var fixtureRange = Range{time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)}

// eventSources are the fixture's services, as CloudTrail names them in eventSource.
var eventSources = map[string]string{
	"ListBuckets": "s3.amazonaws.com", "DeleteBucket": "s3.amazonaws.com", "GetObject": "s3.amazonaws.com",
	"RunInstances": "ec2.amazonaws.com", "DescribeInstances": "ec2.amazonaws.com", "ListUsers": "iam.amazonaws.com",
}

// row is a counter of the fixture in us-east-1 (inRegion: another region).
func row(at time.Time, account, principal, source, event, resourceType, errorCode string, n int64) counters.Row {
	return counters.Row{Key: counters.Key{Hour: at.UTC().Format(counters.HourLayout), Account: account, Principal: principal,
		SourceIP: source, EventName: event, ResourceType: resourceType, ErrorCode: errorCode, EventType: "AwsApiCall",
		Region: "us-east-1", EventSource: eventSources[event]}, Count: n}
}

func inRegion(r counters.Row, region string) counters.Row {
	r.Region = region
	return r
}

func fixtureRows() []counters.Row {
	from := fixtureRange.From
	at := func(h int) time.Time { return from.Add(time.Duration(h) * time.Hour) }
	var rows []counters.Row
	// History: alice lists buckets 10 times in each hour 10..13 of the 7 days before.
	for d := 1; d <= 7; d++ {
		for h := range 4 {
			rows = append(rows, row(at(h-24*d), acctA, alice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 10))
		}
	}
	rows = append(rows, row(at(-24), acctC, "arn:aws:iam::333333333333:user/dan", "198.51.100.9", "ListUsers", "", "", 5))
	// Previous period.
	rows = append(rows,
		row(at(-2), acctA, alice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 20),
		inRegion(row(at(-1), acctB, bob, "203.0.113.5", "GetObject", "AWS::S3::Object", "AccessDenied", 4), "eu-west-1"),
	)
	// The range.
	rows = append(rows,
		row(at(0), acctA, alice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 10),
		row(at(1), acctA, alice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 10),
		row(at(2), acctA, alice, "192.0.2.77", "DeleteBucket", "AWS::S3::Bucket", "", 50),
		inRegion(row(at(0), acctB, bob, "203.0.113.5", "RunInstances", "AWS::EC2::Instance", "Client.UnauthorizedOperation", 6), "eu-west-1"),
		inRegion(row(at(1), acctB, bob, "203.0.113.5", "GetObject", "AWS::S3::Object", "AccessDenied", 4), "eu-west-1"),
		// carol works in a region account B had not used in the week before: highlighted.
		inRegion(row(at(3), acctB, carol, "203.0.113.5", "DescribeInstances", "", "", 30), "ap-southeast-2"),
		inRegion(row(at(3), acctB, carol, "203.0.113.5", "DescribeInstances", "", "ThrottlingException", 2), "ap-southeast-2"),
		// Outside every window: never read.
		row(at(4), acctA, alice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 1000),
		row(at(-24*8), acctA, alice, "192.0.2.77", "ListBuckets", "AWS::S3::Bucket", "", 1000),
	)
	return rows
}

// fixture is the Memory source of the fixture, with two alerts and three changes.
func fixture() *Memory {
	ctx := context.Background()
	from := fixtureRange.From
	h := &alert.MemoryHistory{}
	for i, a := range []alert.Alert{
		{Kind: "root-sign-in", Severity: alert.High, Title: "root sign-in", Account: acctA, Principal: "arn:aws:iam::111111111111:root",
			User: "root", SourceIP: "192.0.2.77", EventID: "ev-root", EventName: "ConsoleLogin", EventTime: from.Add(90 * time.Minute)},
		{Kind: "unauthorized-api-call", Severity: alert.Low, Title: "unauthorized API calls", Account: acctB, Principal: bob,
			User: "bob", SourceIP: "203.0.113.5", EventID: "ev-denied", EventName: "GetObject", EventTime: from.Add(70 * time.Minute)},
		{Kind: "old", Severity: alert.Medium, Account: acctB, EventID: "ev-old", EventTime: from.Add(-5 * time.Hour)},
	} {
		sentAt := a.EventTime.Add(time.Duration(i+1) * time.Minute)
		_ = h.Record(ctx, []alert.Sent{alert.SentAt(&a, sentAt)})
	}
	cl := &changelog.MemoryStore{}
	for _, c := range []changelog.Change{
		{Time: "2026-03-10T12:05:00Z", EventID: "c1", EventName: "DeleteBucket", Account: acctA, Principal: alice,
			Resource: "arn:aws:s3:::apollo-logs", Tags: tags.Tags{"project": "apollo", "owner": "alice"}},
		{Time: "2026-03-10T13:00:00Z", EventID: "c2", EventName: "RunInstances", Account: acctB, Principal: bob,
			Resource: "arn:aws:ec2:eu-west-1:222222222222:instance/i-0abc", Tags: tags.Tags{"project": "gemini"}},
		{Time: "2026-03-10T10:30:00Z", EventID: "c3", EventName: "PutBucketPolicy", Account: acctA, Principal: alice,
			Resource: "arn:aws:s3:::apollo-data", Tags: tags.Tags{"project": "apollo"}},
		{Time: "2026-03-10T14:00:00Z", EventID: "c4", EventName: "TooLate", Account: acctA, Principal: alice,
			Resource: "arn:aws:s3:::apollo-data", Tags: tags.Tags{"project": "apollo"}},
	} {
		_, _, _ = cl.Put(ctx, c)
	}
	return &Memory{Rows: fixtureRows(), History: h, ChangeLog: cl}
}

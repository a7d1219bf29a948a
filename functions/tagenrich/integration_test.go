package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/alert/alerttest"
	"github.com/trailguard/trailguard/shared/awsfake"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/testenv"
)

const (
	homeAccount   = "111122223333"
	memberAccount = "444455556666"
	memberRole    = "trailguard-tag-reader"
	region        = "eu-west-1"
)

var indexKeys = []string{"project", "cost-center", "owner", "env"}

// env is the integration environment: the change and last-known tables on dynalite, and
// wire-level fakes of the tagging API, STS and IAM, all reached through the real clients.
type env struct {
	ddb                     *dynamodb.Client
	changeTable, knownTable string
	tagging                 *awsfake.Tagging
	sts                     *awsfake.STS
	iam                     *awsfake.IAM
	store                   *DynamoStore
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ddb := testenv.DynamoDB(t)
	e := &env{
		ddb:         ddb,
		changeTable: testenv.CreateTable(t, ddb, "TagChangeTable"),
		knownTable:  testenv.CreateTable(t, ddb, "KnownTagsTable"),
		tagging:     awsfake.NewTagging(t, homeAccount),
		sts:         awsfake.NewSTS(t),
		iam:         awsfake.NewIAM(t, homeAccount),
	}
	e.store = &DynamoStore{Client: ddb, Table: e.changeTable, IndexKeys: indexKeys, Retain: 180 * 24 * time.Hour}
	return e
}

// fastRetryer is the SDK's standard retryer (throttle detection, retry quota, the default
// attempts) with backoffs capped at milliseconds, so retry tests do not sleep for seconds.
func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 10 * time.Millisecond })
}

// container builds a handler as main.go does under Lambda, with a fresh cache: a new
// Lambda container. The member account is listed in MEMBER_ACCOUNTS.
func (e *env) container(t *testing.T) *Handler {
	t.Helper()
	return e.containerWith(t, settings{Config: Config{HomeAccount: homeAccount, MemberRoleName: memberRole,
		MemberAccounts: []string{memberAccount}}})
}

// containerWith is container with the accounts cfg makes known members.
func (e *env) containerWith(t *testing.T, cfg settings) *Handler {
	t.Helper()
	tagging := rgt.NewFromConfig(awsfake.Config(e.tagging.URL()), func(o *rgt.Options) { o.Retryer = fastRetryer() })
	iamc := iam.NewFromConfig(awsfake.Config(e.iam.URL()), func(o *iam.Options) { o.Retryer = fastRetryer() })
	stsc := sts.NewFromConfig(awsfake.Config(e.sts.URL()), func(o *sts.Options) { o.Retryer = fastRetryer() })
	return &Handler{
		OnlyWrite: true,
		Tags: &tags.Resolver{
			Source: &tags.AWS{Tagging: tagging, IAM: iamc,
				Accounts: cfg.accounts(stsc)},
			Cache: tags.NewCache(10*time.Minute, 1000, nil),
			Known: &tags.DynamoKnown{Client: e.ddb, Table: e.knownTable, Retain: 730 * 24 * time.Hour},
		},
		Store:   e.store,
		Alerts:  &alerttest.Recorder{},
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics: &metrics.Counters{},
	}
}

// call is one CloudTrail API call, delivered as EventBridge delivers it.
type call struct {
	id, source, name, account string
	at                        time.Time
	identity                  map[string]any
	req, resp                 map[string]any
	resources                 []map[string]any
}

func (c call) event(t *testing.T) []byte {
	t.Helper()
	detail := map[string]any{
		"eventVersion": "1.10", "userIdentity": c.identity, "eventTime": c.at.UTC().Format(time.RFC3339),
		"eventSource": c.source + ".amazonaws.com", "eventName": c.name, "awsRegion": region,
		"sourceIPAddress": "203.0.113.24", "userAgent": "aws-cli/2.22.4", "requestParameters": c.req,
		"responseElements": c.resp, "requestID": "req-" + c.id, "eventID": c.id, "readOnly": false,
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": c.account, "eventCategory": "Management",
	}
	if c.resources != nil {
		detail["resources"] = c.resources
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "eb-" + c.id, "detail-type": detailTypeAPICall, "source": "aws." + c.source,
		"account": c.account, "time": c.at.UTC().Format(time.RFC3339), "region": region, "resources": []string{}, "detail": detail,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assumedRole(account, role, session string) map[string]any {
	return map[string]any{
		"type": "AssumedRole", "principalId": "AROAEXAMPLE:" + session,
		"arn":       fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, role, session),
		"accountId": account, "accessKeyId": "ASIAEXAMPLE",
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role",
			"arn": fmt.Sprintf("arn:aws:iam::%s:role/%s", account, role), "accountId": account, "userName": role}},
	}
}

var (
	alice     = assumedRole(homeAccount, "ops-admin", "alice")
	aliceARN  = "arn:aws:sts::111122223333:assumed-role/ops-admin/alice"
	kim       = assumedRole(memberAccount, "data-engineer", "kim")
	instance  = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f60001"
	database  = "arn:aws:rds:eu-west-1:111122223333:db:apollo-orders"
	bucket    = "arn:aws:s3:::apollo-datalake-raw"
	apollo    = map[string]string{"project": "apollo", "env": "prod"}
	zeusInst  = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f69999"
	instances = map[string]any{"items": []any{map[string]any{"instanceId": "i-0a1b2c3d4e5f60001"}}}
)

func handle(t *testing.T, h *Handler, calls ...call) {
	t.Helper()
	for _, c := range calls {
		if err := h.Handle(t.Context(), c.event(t)); err != nil {
			t.Fatalf("%s %s: %v", c.name, c.id, err)
		}
	}
}

func ids(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.EventID)
	}
	return out
}

// TestIntegrationLifecycleAcrossAccounts creates, modifies and deletes a tagged EC2
// instance and RDS instance in the home account and an S3 bucket in a member account: the
// query by tag and the query by principal return exactly those changes, newest first, and
// the deletes, handled by a new container after the resources are gone, carry the last
// known tags.
func TestIntegrationLifecycleAcrossAccounts(t *testing.T) {
	e := newEnv(t)
	e.tagging.SetTags(homeAccount, region, instance, apollo)
	e.tagging.SetTags(homeAccount, region, database, apollo)
	e.tagging.SetTags(memberAccount, region, bucket, apollo)
	e.tagging.SetTags(homeAccount, region, zeusInst, map[string]string{"project": "zeus"})
	t0 := time.Now().UTC().Truncate(time.Second).Add(-6 * time.Hour)
	at := func(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

	creates := []call{
		{id: "ev-ec2-create", source: "ec2", name: "RunInstances", account: homeAccount, at: at(1), identity: alice,
			req: map[string]any{"instancesSet": map[string]any{"items": []any{map[string]any{"imageId": "ami-1", "minCount": 1, "maxCount": 1}}},
				"tagSpecificationSet": map[string]any{"items": []any{map[string]any{"resourceType": "instance",
					"tags": []any{map[string]any{"key": "project", "value": "apollo"}, map[string]any{"key": "env", "value": "prod"}}}}}},
			resp: map[string]any{"instancesSet": instances}},
		{id: "ev-rds-create", source: "rds", name: "CreateDBInstance", account: homeAccount, at: at(2), identity: alice,
			req: map[string]any{"dBInstanceIdentifier": "apollo-orders", "engine": "postgres",
				"tags": []any{map[string]any{"key": "project", "value": "apollo"}, map[string]any{"key": "env", "value": "prod"}}},
			resp: map[string]any{"dBInstanceIdentifier": "apollo-orders", "dBInstanceArn": database}},
		{id: "ev-s3-create", source: "s3", name: "CreateBucket", account: memberAccount, at: at(3), identity: kim,
			req: map[string]any{"bucketName": "apollo-datalake-raw", "Host": "apollo-datalake-raw.s3.eu-west-1.amazonaws.com"}},
	}
	modifies := []call{
		{id: "ev-ec2-modify", source: "ec2", name: "ModifyInstanceAttribute", account: homeAccount, at: at(10), identity: alice,
			req: map[string]any{"instanceId": "i-0a1b2c3d4e5f60001", "instanceType": map[string]any{"value": "t3.small"}}},
		{id: "ev-rds-modify", source: "rds", name: "ModifyDBInstance", account: homeAccount, at: at(11), identity: alice,
			req: map[string]any{"dBInstanceIdentifier": "apollo-orders", "backupRetentionPeriod": 14}},
		{id: "ev-s3-modify", source: "s3", name: "PutBucketVersioning", account: memberAccount, at: at(12), identity: kim,
			req: map[string]any{"bucketName": "apollo-datalake-raw", "VersioningConfiguration": map[string]any{"Status": "Enabled"}}},
		{id: "ev-zeus-modify", source: "ec2", name: "StopInstances", account: homeAccount, at: at(13), identity: alice,
			req: map[string]any{"instancesSet": map[string]any{"items": []any{map[string]any{"instanceId": "i-0a1b2c3d4e5f69999"}}}}},
	}
	deletes := []call{
		{id: "ev-ec2-delete", source: "ec2", name: "TerminateInstances", account: homeAccount, at: at(20), identity: alice,
			req: map[string]any{"instancesSet": instances}, resp: map[string]any{"instancesSet": instances}},
		{id: "ev-rds-delete", source: "rds", name: "DeleteDBInstance", account: homeAccount, at: at(21), identity: alice,
			req:  map[string]any{"dBInstanceIdentifier": "apollo-orders", "skipFinalSnapshot": true},
			resp: map[string]any{"dBInstanceIdentifier": "apollo-orders", "dBInstanceArn": database, "dBInstanceStatus": "deleting"}},
		{id: "ev-s3-delete", source: "s3", name: "DeleteBucket", account: memberAccount, at: at(22), identity: kim,
			req: map[string]any{"bucketName": "apollo-datalake-raw"}},
	}
	// An apollo change before the queried window.
	old := call{id: "ev-old", source: "rds", name: "RebootDBInstance", account: homeAccount, at: t0.Add(-48 * time.Hour), identity: alice,
		req: map[string]any{"dBInstanceIdentifier": "apollo-orders"}}

	first := e.container(t)
	handle(t, first, old)
	handle(t, first, creates...)
	handle(t, first, modifies...)
	for _, arn := range []string{instance, database, bucket} {
		e.tagging.Delete(arn)
	}
	handle(t, e.container(t), deletes...)

	ctx := t.Context()
	from, to := t0, t0.Add(time.Hour)
	byTag, err := e.store.ByTag(ctx, "project", "apollo", from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ev-s3-delete", "ev-rds-delete", "ev-ec2-delete", "ev-s3-modify", "ev-rds-modify", "ev-ec2-modify",
		"ev-s3-create", "ev-rds-create", "ev-ec2-create"}
	if got := ids(byTag); !slices.Equal(got, want) {
		t.Errorf("project=apollo, newest first:\n got %v\nwant %v", got, want)
	}
	byPrincipal, err := e.store.ByPrincipal(ctx, aliceARN, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"ev-rds-delete", "ev-ec2-delete", "ev-zeus-modify", "ev-rds-modify", "ev-ec2-modify", "ev-rds-create", "ev-ec2-create"}
	if got := ids(byPrincipal); !slices.Equal(got, want) {
		t.Errorf("changes by %s, newest first:\n got %v\nwant %v", aliceARN, got, want)
	}

	for _, c := range byTag {
		wantSource := map[string]string{"ev-ec2-create": tags.FromRequest, "ev-rds-create": tags.FromRequest,
			"ev-ec2-delete": tags.FromLastKnown, "ev-rds-delete": tags.FromLastKnown, "ev-s3-delete": tags.FromLastKnown}[c.EventID]
		if wantSource == "" {
			wantSource = tags.FromCache
			if c.EventID == "ev-s3-create" {
				wantSource = tags.FromLookup
			}
		}
		if c.TagsSource != wantSource || c.TagsUnavailable || !c.Tags.Has("env", "prod") {
			t.Errorf("%s: tags %v from %s (unavailable %v), want project=apollo env=prod from %s", c.EventID, c.Tags, c.TagsSource, c.TagsUnavailable, wantSource)
		}
	}
	if s3 := byTag[0]; s3.Account != memberAccount || s3.Resource != bucket || s3.ResourceType != "AWS::S3::Bucket" {
		t.Errorf("bucket delete record %+v", s3)
	}

	// Each container assumed the member role once, and only for the member account.
	var assumed []string
	for _, c := range e.sts.Calls() {
		assumed = append(assumed, c.RoleARN+" "+c.Error)
	}
	role := "arn:aws:iam::444455556666:role/trailguard-tag-reader "
	if !slices.Equal(assumed, []string{role, role}) {
		t.Errorf("AssumeRole calls %q, want one per container for the member account", assumed)
	}
	for _, c := range e.tagging.Calls() {
		if c.Region != region {
			t.Errorf("GetResources signed for %s, want %s", c.Region, region)
		}
		for _, arn := range c.ARNs {
			if (arn == bucket) != (c.Account == memberAccount) {
				t.Errorf("%s looked up as account %s", arn, c.Account)
			}
		}
	}
}

// TestIntegration150ResourcesTwoCalls terminates 150 instances in one call: their tags are
// read with two GetResources calls, 100 and 50 ARNs.
func TestIntegration150ResourcesTwoCalls(t *testing.T) {
	e := newEnv(t)
	var items []any
	for i := range 150 {
		id := fmt.Sprintf("i-%017d", i)
		items = append(items, map[string]any{"instanceId": id})
		e.tagging.SetTags(homeAccount, region, "arn:aws:ec2:eu-west-1:111122223333:instance/"+id, map[string]string{"project": "apollo", "owner": fmt.Sprint(i)})
	}
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	handle(t, e.container(t), call{id: "ev-150", source: "ec2", name: "TerminateInstances", account: homeAccount, at: at, identity: alice,
		req: map[string]any{"instancesSet": map[string]any{"items": items}}})
	var sizes []int
	for _, c := range e.tagging.Calls() {
		sizes = append(sizes, len(c.ARNs))
	}
	if !slices.Equal(sizes, []int{100, 50}) {
		t.Errorf("GetResources calls of %v ARNs, want [100 50]", sizes)
	}
	got, err := e.store.ByTag(t.Context(), "project", "apollo", at, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 150 {
		t.Fatalf("%d records tagged project=apollo, want 150", len(got))
	}
	for _, c := range got {
		id := strings.TrimPrefix(c.Resource, "arn:aws:ec2:eu-west-1:111122223333:instance/i-")
		var n int
		fmt.Sscan(strings.TrimLeft(id, "0"), &n)
		if c.Tags["owner"] != fmt.Sprint(n) {
			t.Errorf("%s has owner %q, want %d", c.Resource, c.Tags["owner"], n)
		}
	}
}

// TestIntegrationThrottlingRetried: throttled tag reads are retried by the SDK and the
// records carry the tags read.
func TestIntegrationThrottlingRetried(t *testing.T) {
	e := newEnv(t)
	e.tagging.SetTags(homeAccount, region, instance, apollo)
	e.iam.SetRoleTags(homeAccount, "deploy", map[string]string{"project": "apollo", "owner": "platform"})
	e.tagging.FailNext(2, awsfake.Throttling)
	e.iam.FailNext(2, awsfake.Throttling)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	handle(t, e.container(t),
		call{id: "ev-throttled-ec2", source: "ec2", name: "RebootInstances", account: homeAccount, at: at, identity: alice,
			req: map[string]any{"instancesSet": instances}},
		call{id: "ev-throttled-iam", source: "iam", name: "AttachRolePolicy", account: homeAccount, at: at, identity: alice,
			req: map[string]any{"roleName": "deploy", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	var codes []string
	for _, c := range e.tagging.Calls() {
		codes = append(codes, c.Error)
	}
	if !slices.Equal(codes, []string{"ThrottlingException", "ThrottlingException", ""}) {
		t.Errorf("GetResources answers %q, want two throttles then success", codes)
	}
	if n := len(e.iam.Calls()); n != 3 {
		t.Errorf("%d ListRoleTags calls, want 3 (two throttled)", n)
	}
	got, err := e.store.ByTag(t.Context(), "project", "apollo", at, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d records tagged project=apollo, want both: %+v", len(got), got)
	}
	for _, c := range got {
		if c.TagsUnavailable || c.TagsSource != tags.FromLookup {
			t.Errorf("%s: %+v, want tags from the retried lookup", c.EventID, c)
		}
	}
}

// TestIntegrationSTSFailureStillRecords: the member role cannot be assumed; the change is
// recorded, marked tags_unavailable (with the last known tags when there are any), and the
// invocation succeeds: nothing is lost, nothing is retried forever.
func TestIntegrationSTSFailureStillRecords(t *testing.T) {
	e := newEnv(t)
	e.tagging.SetTags(memberAccount, region, bucket, apollo)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	versioning := func(id string) call {
		return call{id: id, source: "s3", name: "PutBucketVersioning", account: memberAccount, at: at, identity: kim,
			req: map[string]any{"bucketName": "apollo-datalake-raw"}}
	}
	otherBucket := call{id: "ev-never-seen", source: "s3", name: "PutBucketPolicy", account: memberAccount, at: at, identity: kim,
		req: map[string]any{"bucketName": "never-seen"}}
	handle(t, e.container(t), versioning("ev-before")) // the bucket's tags become known
	e.sts.Deny("arn:aws:iam::444455556666:role/" + memberRole)
	handle(t, e.container(t), versioning("ev-denied"), otherBucket)

	got, err := e.store.ByPrincipal(t.Context(), "arn:aws:sts::444455556666:assumed-role/data-engineer/kim", at, at)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Change{}
	for _, c := range got {
		byID[c.EventID] = c
	}
	if c, ok := byID["ev-denied"]; !ok || !c.TagsUnavailable || c.TagsSource != tags.FromLastKnown || !c.Tags.Has("project", "apollo") {
		t.Errorf("denied lookup of a known bucket: %+v (recorded %v), want tags_unavailable with the last known tags", c, ok)
	}
	if c, ok := byID["ev-never-seen"]; !ok || !c.TagsUnavailable || len(c.Tags) != 0 {
		t.Errorf("denied lookup of an unknown bucket: %+v (recorded %v), want tags_unavailable without tags", c, ok)
	}
	if c := byID["ev-before"]; c.TagsUnavailable {
		t.Errorf("the lookup before the denial: %+v", c)
	}
	denied := 0
	for _, c := range e.sts.Calls() {
		if c.Error == "AccessDenied" {
			denied++
		}
	}
	if denied == 0 {
		t.Error("STS never refused: the test did not exercise the failure")
	}
}

// TestIntegrationRedelivery: the same event twice is one record (one item per query), and
// a change whose tag items were lost (the first delivery died between the writes) is
// completed by the redelivery.
func TestIntegrationRedelivery(t *testing.T) {
	e := newEnv(t)
	e.tagging.SetTags(homeAccount, region, instance, apollo)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	c := call{id: "ev-twice", source: "ec2", name: "RebootInstances", account: homeAccount, at: at, identity: alice,
		req: map[string]any{"instancesSet": instances}}
	h := e.container(t)
	handle(t, h, c, c)
	handle(t, e.container(t), c) // redelivered to another container
	ctx := t.Context()
	for name, query := range map[string]func() ([]Change, error){
		"by tag":       func() ([]Change, error) { return e.store.ByTag(ctx, "project", "apollo", at, at) },
		"by principal": func() ([]Change, error) { return e.store.ByPrincipal(ctx, aliceARN, at, at) },
	} {
		got, err := query()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Errorf("%s: %d records after three deliveries, want 1", name, len(got))
		}
	}

	// Simulate a first delivery that wrote the change item and died before its tag items.
	partial := call{id: "ev-partial", source: "ec2", name: "StartInstances", account: homeAccount, at: at, identity: alice,
		req: map[string]any{"instancesSet": instances}}
	handle(t, e.container(t), partial)
	for _, k := range []string{"project", "env"} {
		if _, err := e.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(e.changeTable), Key: map[string]ddbtypes.AttributeValue{
			attrPK: &ddbtypes.AttributeValueMemberS{Value: "ev-partial|" + instance},
			attrSK: &ddbtypes.AttributeValueMemberS{Value: skTagPrefix + k},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := e.store.ByTag(ctx, "project", "apollo", at, at)
	if slices.Contains(ids(got), "ev-partial") {
		t.Fatal("the simulated loss did not remove the tag item")
	}
	handle(t, e.container(t), partial)
	got, _ = e.store.ByTag(ctx, "project", "apollo", at, at)
	if !slices.Contains(ids(got), "ev-partial") {
		t.Error("the redelivery did not restore the change's tag index item")
	}
}

// TestIntegrationLastKnownExpires: a last-known item past its TTL is absent, as DynamoDB
// will delete it (eventually).
func TestIntegrationLastKnownExpires(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	known := &tags.DynamoKnown{Client: e.ddb, Table: e.knownTable, Retain: time.Hour, Now: func() time.Time { return now }}
	ctx := context.Background()
	if err := known.Put(ctx, bucket, tags.Tags{"project": "apollo"}); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := known.Get(ctx, bucket); err != nil || !ok || !got.Has("project", "apollo") {
		t.Fatalf("Get = %v, %v, %v", got, ok, err)
	}
	now = now.Add(2 * time.Hour)
	if got, ok, err := known.Get(ctx, bucket); err != nil || ok {
		t.Errorf("after its TTL: %v, %v, %v; want absent", got, ok, err)
	}
}

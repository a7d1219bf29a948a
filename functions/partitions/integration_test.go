package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/internal/templatecheck"
	"github.com/trailguard/trailguard/shared/awsfake"
	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/testenv"
)

var testTable = catalog.Table{Database: "trailguard", Name: "cloudtrail"}

// templateGlueTable is the CloudTrail table exactly as template.yaml defines it (partition
// keys, columns, formats, SerDe), so the fake catalog cannot drift from the template.
func templateGlueTable(t *testing.T) awsfake.GlueTable {
	t.Helper()
	tpl, err := templatecheck.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res := templatecheck.Resources(tpl, "AWS::Glue::Table")["CloudTrailTable"]
	props, _ := res["Properties"].(map[string]any)
	in, _ := props["TableInput"].(map[string]any)
	sd, _ := in["StorageDescriptor"].(map[string]any)
	serde, _ := sd["SerdeInfo"].(map[string]any)
	columns := func(v any) []awsfake.GlueColumn {
		list, _ := v.([]any)
		var out []awsfake.GlueColumn
		for _, c := range list {
			m, _ := c.(map[string]any)
			out = append(out, awsfake.GlueColumn{Name: fmt.Sprint(m["Name"]), Type: fmt.Sprint(m["Type"])})
		}
		return out
	}
	table := awsfake.GlueTable{
		DatabaseName:  testTable.Database,
		Name:          testTable.Name,
		PartitionKeys: columns(in["PartitionKeys"]),
		StorageDescriptor: awsfake.GlueStorageDescriptor{
			Columns:      columns(sd["Columns"]),
			Location:     "s3://" + trailBucket + "/AWSLogs/",
			InputFormat:  fmt.Sprint(sd["InputFormat"]),
			OutputFormat: fmt.Sprint(sd["OutputFormat"]),
			SerdeInfo:    &awsfake.GlueSerDe{SerializationLibrary: fmt.Sprint(serde["SerializationLibrary"])},
		},
	}
	if len(table.PartitionKeys) != 5 || len(table.StorageDescriptor.Columns) == 0 {
		t.Fatalf("template.yaml CloudTrailTable: partition keys %v, %d columns", table.PartitionKeys, len(table.StorageDescriptor.Columns))
	}
	return table
}

// stack is the registrar's world: a fake Glue catalog holding the template's table, and
// the ledger table on dynalite. container() is one Lambda container (its own cache and
// table descriptor) over them.
type stack struct {
	t      *testing.T
	glue   *awsfake.Glue
	ddb    *dynamodb.Client
	ledger string
	layout *keylayout.Layout
	logs   bytes.Buffer
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{t: t, glue: awsfake.NewGlue(t), layout: keylayout.CloudTrail()}
	s.glue.AddTable(templateGlueTable(t))
	s.ddb = testenv.DynamoDB(t)
	s.ledger = testenv.CreateTable(t, s.ddb, "PartitionLedgerTable")
	return s
}

func (s *stack) container(created *[]string) *Handler {
	columns := s.layout.Columns()
	return &Handler{
		Layout:  s.layout,
		Columns: columns,
		Bucket:  trailBucket,
		Table:   testTable,
		Registry: &catalog.Registry{
			Table:  testTable,
			Glue:   &catalog.Registrar{Glue: glue.NewFromConfig(awsfake.Config(s.glue.URL())), Table: testTable, Columns: columns},
			Ledger: &catalog.Ledger{DB: s.ddb, TableName: s.ledger, UnprocessedRetries: 3},
		},
		Report: func(p catalog.Partition) {
			if created != nil {
				*created = append(*created, p.Name)
			}
		},
		Log:     slog.New(slog.NewJSONHandler(&s.logs, nil)),
		Metrics: &metrics.Counters{Function: "partitions"},
	}
}

// ledgerItems returns the ledger's items as "PartitionName Location", sorted.
func (s *stack) ledgerItems() []string {
	s.t.Helper()
	var items []string
	pages := dynamodb.NewScanPaginator(s.ddb, &dynamodb.ScanInput{TableName: aws.String(s.ledger), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			s.t.Fatal(err)
		}
		for _, it := range page.Items {
			tbl := it["GlueTable"].(*types.AttributeValueMemberS).Value
			name := it["PartitionName"].(*types.AttributeValueMemberS).Value
			loc := it["Location"].(*types.AttributeValueMemberS).Value
			if tbl != testTable.String() {
				s.t.Errorf("ledger item of table %q", tbl)
			}
			items = append(items, name+" "+loc)
		}
	}
	sort.Strings(items)
	return items
}

// gluePartitions returns the fake catalog's partitions as "values location", sorted.
func (s *stack) gluePartitions() []string {
	var out []string
	for _, p := range s.glue.Partitions(testTable.Database, testTable.Name) {
		out = append(out, strings.Join(p.Values, "/")+" "+p.StorageDescriptor.Location)
	}
	sort.Strings(out)
	return out
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// invocation is one Lambda event and, for SQS batches, its message IDs.
type invocation struct {
	raw []byte
	sqs bool
}

// mixedEvents builds 1,000 object-created notices over 10 partitions (an account trail and
// an organization trail, 5 days each) in all three shapes: a direct S3 notification, an
// EventBridge event, or a message of an SQS batch (10 per batch, bodies alternating S3
// notifications and EventBridge events). Every 7th notice repeats the previous key (a
// redelivery) and every 25th is a digest file.
func mixedEvents() (invs []invocation, ledger, glue []string) {
	prefixes := make([]string, 10)
	for p := range 10 {
		acct, trail := "111122223333", "AWSLogs/111122223333"
		if p >= 5 {
			acct, trail = "444455556666", "AWSLogs/o-aa111bb222/444455556666"
		}
		day := 10 + p%5
		prefixes[p] = fmt.Sprintf("%s/CloudTrail/us-east-1/2024/05/%02d/", trail, day)
		loc := "s3://" + trailBucket + "/" + prefixes[p]
		ledger = append(ledger, fmt.Sprintf("account=%s/region=us-east-1/year=2024/month=05/day=%02d %s", acct, day, loc))
		glue = append(glue, fmt.Sprintf("%s/us-east-1/2024/05/%02d %s", acct, day, loc))
	}
	sort.Strings(ledger)
	sort.Strings(glue)
	var batch []string
	key := ""
	for i := range 1000 {
		p := i % 10
		switch {
		case i%25 == 24:
			key = strings.Replace(prefixes[p], "/CloudTrail/", "/CloudTrail-Digest/", 1) + fmt.Sprintf("digest_%04d.json.gz", i)
		case i%7 == 6 && key != "":
			// the previous key again
		default:
			key = prefixes[p] + fmt.Sprintf("f_20240510T%04dZ_%04d.json.gz", i%2400, i)
		}
		switch i % 3 {
		case 0:
			invs = append(invs, invocation{raw: []byte(s3Notice(trailBucket, key))})
		case 1:
			invs = append(invs, invocation{raw: []byte(ebEvent(trailBucket, key))})
		default:
			body := s3Notice(trailBucket, key)
			if len(batch)%2 == 1 {
				body = ebEvent(trailBucket, key)
			}
			batch = append(batch, body)
			if len(batch) == 10 {
				invs = append(invs, invocation{raw: []byte(sqsBatch(batch...)), sqs: true})
				batch = nil
			}
		}
	}
	if len(batch) > 0 {
		invs = append(invs, invocation{raw: []byte(sqsBatch(batch...)), sqs: true})
	}
	return invs, ledger, glue
}

// deliver hands the invocations round-robin to the containers and fails the test on any
// failure.
func deliver(t *testing.T, containers []*Handler, invs []invocation) {
	t.Helper()
	for i, inv := range invs {
		resp, err := containers[i%len(containers)].Handle(t.Context(), inv.raw)
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		if resp != nil && len(resp.BatchItemFailures) > 0 {
			t.Fatalf("invocation %d: batchItemFailures %v", i, resp.BatchItemFailures)
		}
		if inv.sqs != (resp != nil) {
			t.Fatalf("invocation %d: SQS %v but response %v", i, inv.sqs, resp)
		}
	}
}

func TestIntegrationThousandMixedEventsRegisterTenPartitionsOnce(t *testing.T) {
	s := newStack(t)
	invs, wantLedger, wantGlue := mixedEvents()
	var created []string
	containers := []*Handler{s.container(&created), s.container(&created), s.container(&created)}
	deliver(t, containers, invs)

	if got := s.gluePartitions(); !slices.Equal(got, wantGlue) {
		t.Fatalf("Glue partitions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantGlue, "\n"))
	}
	if got := s.ledgerItems(); !slices.Equal(got, wantLedger) {
		t.Errorf("ledger items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLedger, "\n"))
	}
	if n := sum(s.glue.BatchSizes()); n != 10 {
		t.Errorf("%d partitions sent to BatchCreatePartition, want 10: one Glue call per new partition", n)
	}
	if len(created) != 10 {
		t.Errorf("%d partitions reported created, want 10", len(created))
	}
	// The table descriptor is read once per container that created something, at most.
	if n := s.glue.Requests("GetTable"); n < 1 || n > len(containers) {
		t.Errorf("GetTable called %d times for %d containers", n, len(containers))
	}
	for _, p := range s.glue.Partitions(testTable.Database, testTable.Name) {
		sd := p.StorageDescriptor
		if sd.SerdeInfo == nil || sd.SerdeInfo.SerializationLibrary != "com.amazon.emr.hive.serde.CloudTrailSerde" ||
			sd.InputFormat != "com.amazon.emr.cloudtrail.CloudTrailInputFormat" || len(sd.Columns) == 0 {
			t.Errorf("partition %v has storage descriptor %+v, want the table's with its own location", p.Values, sd)
		}
	}

	// The same events again, to the same containers and to fresh ones: no Glue call.
	requests := s.glue.Requests("BatchCreatePartition")
	deliver(t, containers, invs)
	deliver(t, []*Handler{s.container(&created), s.container(&created)}, invs)
	if n := s.glue.Requests("BatchCreatePartition"); n != requests {
		t.Errorf("redelivery made %d BatchCreatePartition calls, want none", n-requests)
	}
	if len(created) != 10 || len(s.ledgerItems()) != 10 || len(s.gluePartitions()) != 10 {
		t.Errorf("after redelivery: %d created, %d ledger items, %d partitions; want 10 each", len(created), len(s.ledgerItems()), len(s.gluePartitions()))
	}
}

func TestIntegrationGlueFailsOnePartition(t *testing.T) {
	day := func(d int) string {
		return fmt.Sprintf("AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/%02d/444455556666_CloudTrail_eu-west-1_202405%02dT0000Z_x.json.gz", d, d)
	}
	failing := []string{"444455556666", "eu-west-1", "2024", "05", "15"}
	failingName := "account=444455556666/region=eu-west-1/year=2024/month=05/day=15"

	t.Run("sqs: only its messages come back, the redelivery creates it", func(t *testing.T) {
		s := newStack(t)
		s.glue.FailPartition(failing, "InternalServiceException", 1)
		h := s.container(nil)
		batch := []string{s3Notice(trailBucket, day(14)), ebEvent(trailBucket, day(15)), s3Notice(trailBucket, day(16)), s3Notice(trailBucket, day(15))}
		failed, err := failedIDs(t, h, []byte(sqsBatch(batch...)))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(failed, []string{"m1", "m3"}) {
			t.Fatalf("batchItemFailures %q, want the two messages of day 15", failed)
		}
		for _, item := range s.ledgerItems() {
			if strings.HasPrefix(item, failingName) {
				t.Errorf("ledger has %s before Glue created it", item)
			}
		}
		if n := len(s.ledgerItems()); n != 2 {
			t.Errorf("%d ledger items, want 2 (days 14 and 16)", n)
		}
		// SQS redelivers the failed messages only.
		failed, err = failedIDs(t, h, []byte(sqsBatch(batch[1], batch[3])))
		if err != nil || len(failed) != 0 {
			t.Fatalf("redelivery: failed %q, err %v", failed, err)
		}
		if n := len(s.ledgerItems()); n != 3 || len(s.gluePartitions()) != 3 {
			t.Errorf("after redelivery: %d ledger items, %d partitions; want 3 and 3", n, len(s.gluePartitions()))
		}
	})
	for _, shape := range []struct {
		name string
		wrap func(bucket, key string) string
	}{{"eventbridge", ebEvent}, {"s3-notification", s3Notice}} {
		t.Run(shape.name+": the invocation fails, Lambda's retry creates it", func(t *testing.T) {
			s := newStack(t)
			s.glue.FailPartition(failing, "InternalServiceException", 1)
			h := s.container(nil)
			event := []byte(shape.wrap(trailBucket, day(15)))
			if _, err := h.Handle(t.Context(), event); err == nil || !strings.Contains(err.Error(), failingName) {
				t.Fatalf("Handle error %v, want one naming %s", err, failingName)
			}
			if n := len(s.ledgerItems()); n != 0 {
				t.Errorf("%d ledger items after the failure, want 0", n)
			}
			if _, err := h.Handle(t.Context(), event); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if got := s.ledgerItems(); len(got) != 1 || !strings.HasPrefix(got[0], failingName+" ") {
				t.Errorf("ledger after the retry: %q", got)
			}
		})
	}
	t.Run("throttled past the SDK's retries: the invocation fails, nothing recorded", func(t *testing.T) {
		s := newStack(t)
		h := s.container(nil)
		h.Registry.(*catalog.Registry).Glue = &catalog.Registrar{
			Glue:  glue.NewFromConfig(awsfake.Config(s.glue.URL()), func(o *glue.Options) { o.RetryMaxAttempts = 2 }),
			Table: testTable, Columns: h.Columns,
		}
		if _, err := h.Handle(t.Context(), []byte(ebEvent(trailBucket, day(14)))); err != nil {
			t.Fatal(err) // the container has read the table
		}
		s.glue.FailNext(2, awsfake.Throttling) // both attempts of BatchCreatePartition
		if _, err := h.Handle(t.Context(), []byte(ebEvent(trailBucket, day(15)))); err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
			t.Fatalf("Handle error %v, want ThrottlingException", err)
		}
		if n := s.glue.Requests("BatchCreatePartition"); n != 3 {
			t.Errorf("%d BatchCreatePartition requests, want 3 (day 14, then day 15 twice)", n)
		}
		if got := s.ledgerItems(); len(got) != 1 || strings.Contains(got[0], "day=15") {
			t.Errorf("ledger %q, want day 14 only", got)
		}
	})
}

func TestIntegrationAlreadyExistsIsSuccess(t *testing.T) {
	s := newStack(t)
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/111122223333_CloudTrail_us-east-1_20240514T1015Z_Kq3vYj0pVd3rE8Xw.json.gz"
	s.glue.AddPartition(testTable.Database, testTable.Name, awsfake.GluePartition{Values: []string{"111122223333", "us-east-1", "2024", "05", "14"}})
	var created []string
	h := s.container(&created)
	if _, err := h.Handle(t.Context(), []byte(ebEvent(trailBucket, key))); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(created) != 0 {
		t.Errorf("reported %q as newly created", created)
	}
	if got := s.ledgerItems(); len(got) != 1 || !strings.HasPrefix(got[0], us14+" s3://"+trailBucket+"/AWSLogs/111122223333/") {
		t.Errorf("ledger %q, want the existing partition recorded", got)
	}
	if !strings.Contains(s.logs.String(), `"decision":"already-existed"`) {
		t.Errorf("no already-existed line:\n%s", s.logs.String())
	}
	if n := len(s.gluePartitions()); n != 1 {
		t.Errorf("%d partitions, want 1", n)
	}
}

// Keys with URL encoding ('+', %3D, unicode) and organization trails land in the right
// partition and location, whichever shape brings them.
func TestIntegrationEncodedKeysAndOrganizationTrails(t *testing.T) {
	s := newStack(t)
	s.layout = keylayout.CloudTrail().WithPrefix("audit logs/env=prod/région-été")
	h := s.container(nil)
	prefix := "audit+logs/env%3Dprod/r%C3%A9gion-%C3%A9t%C3%A9/"
	events := []string{
		string(localtest.Event(t, "partitions", "url-encoded-key.json")),
		ebEvent(trailBucket, prefix+"AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/f.json.gz"),
		sqsBatch(s3Notice(trailBucket, prefix+"AWSLogs/o-aa111bb222/777788889999/CloudTrail/ap-northeast-1/2024/05/14/f.json.gz")),
		// Outside the configured prefix: skipped, not registered.
		s3Notice(trailBucket, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz"),
	}
	for _, e := range events {
		if failed, err := failedIDs(t, h, []byte(e)); err != nil || len(failed) > 0 {
			t.Fatalf("failed %q, err %v", failed, err)
		}
	}
	base := "s3://" + trailBucket + "/audit logs/env=prod/région-été/AWSLogs/"
	want := []string{
		"111122223333/eu-west-3/2024/05/14 " + base + "111122223333/CloudTrail/eu-west-3/2024/05/14/",
		"444455556666/eu-west-1/2024/05/14 " + base + "o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/",
		"777788889999/ap-northeast-1/2024/05/14 " + base + "o-aa111bb222/777788889999/CloudTrail/ap-northeast-1/2024/05/14/",
	}
	if got := s.gluePartitions(); !slices.Equal(got, want) {
		t.Errorf("partitions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

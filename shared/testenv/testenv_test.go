package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

const testTemplate = "testdata/tables.yaml"

func TestRequireEndpoint(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    verdict
		message []string // substrings of the message
	}{
		{"endpoint set", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:4567", "CI": "true"}, run, nil},
		{"unset in CI", map[string]string{"CI": "true"}, fail, []string{"AWS_ENDPOINT_URL_DYNAMODB", "CI=true", "make test"}},
		{"unset in CI=1", map[string]string{"CI": "1"}, fail, []string{"AWS_ENDPOINT_URL_DYNAMODB", "make test"}},
		{"unset locally", map[string]string{}, skip, []string{"AWS_ENDPOINT_URL_DYNAMODB", "make test"}},
		{"unset with CI=false", map[string]string{"CI": "false"}, skip, []string{"make test"}},
		{"other endpoint set", map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:4568", "CI": "true"}, fail, []string{"AWS_ENDPOINT_URL_DYNAMODB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, msg := requireEndpoint(getenv, DynamoDBEndpointVar, "DynamoDB (dynalite)")
			if got != tt.want {
				t.Errorf("verdict = %d, want %d (%s)", got, tt.want, msg)
			}
			for _, s := range tt.message {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not mention %q", msg, s)
				}
			}
		})
	}
}

// describe renders what CreateTable controls of a table, the same way for a
// CreateTableInput and a DescribeTable answer, so the two compare directly.
func describe(keys []types.KeySchemaElement, attrs []types.AttributeDefinition, billing string,
	gsis map[string][2]string, lsis map[string][2]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "keys %s; billing %s;", keyString(keys), billing)
	var defs []string
	for _, a := range attrs {
		defs = append(defs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	slices.Sort(defs)
	fmt.Fprintf(&b, " attrs %s;", strings.Join(defs, ","))
	for _, kind := range []struct {
		name string
		m    map[string][2]string
	}{{"gsi", gsis}, {"lsi", lsis}} {
		for _, n := range slices.Sorted(maps.Keys(kind.m)) {
			fmt.Fprintf(&b, " %s %s: %s %s;", kind.name, n, kind.m[n][0], kind.m[n][1])
		}
	}
	return b.String()
}

func keyString(keys []types.KeySchemaElement) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(parts, ", ")
}

func projectionString(p *types.Projection) string {
	if p == nil {
		return "<none>"
	}
	return string(p.ProjectionType) + strings.Join(p.NonKeyAttributes, "+")
}

func throughputString(p *types.ProvisionedThroughput) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf(" %d/%d", aws.ToInt64(p.ReadCapacityUnits), aws.ToInt64(p.WriteCapacityUnits))
}

func describeInput(in *dynamodb.CreateTableInput) string {
	billing := string(in.BillingMode)
	if in.ProvisionedThroughput != nil {
		billing += fmt.Sprintf(" %d/%d", *in.ProvisionedThroughput.ReadCapacityUnits, *in.ProvisionedThroughput.WriteCapacityUnits)
	}
	gsis, lsis := map[string][2]string{}, map[string][2]string{}
	for _, g := range in.GlobalSecondaryIndexes {
		gsis[aws.ToString(g.IndexName)] = [2]string{keyString(g.KeySchema), projectionString(g.Projection) + throughputString(g.ProvisionedThroughput)}
	}
	for _, l := range in.LocalSecondaryIndexes {
		lsis[aws.ToString(l.IndexName)] = [2]string{keyString(l.KeySchema), projectionString(l.Projection)}
	}
	return describe(in.KeySchema, in.AttributeDefinitions, billing, gsis, lsis)
}

func describeTable(d *types.TableDescription) string {
	billing := string(types.BillingModeProvisioned)
	if d.BillingModeSummary != nil {
		billing = string(d.BillingModeSummary.BillingMode)
	}
	if billing == string(types.BillingModeProvisioned) && d.ProvisionedThroughput != nil {
		billing += fmt.Sprintf(" %d/%d", aws.ToInt64(d.ProvisionedThroughput.ReadCapacityUnits), aws.ToInt64(d.ProvisionedThroughput.WriteCapacityUnits))
	}
	gsis, lsis := map[string][2]string{}, map[string][2]string{}
	for _, g := range d.GlobalSecondaryIndexes {
		var tp *types.ProvisionedThroughput
		if g.ProvisionedThroughput != nil && aws.ToInt64(g.ProvisionedThroughput.ReadCapacityUnits) > 0 {
			tp = &types.ProvisionedThroughput{ReadCapacityUnits: g.ProvisionedThroughput.ReadCapacityUnits, WriteCapacityUnits: g.ProvisionedThroughput.WriteCapacityUnits}
		}
		gsis[aws.ToString(g.IndexName)] = [2]string{keyString(g.KeySchema), projectionString(g.Projection) + throughputString(tp)}
	}
	for _, l := range d.LocalSecondaryIndexes {
		lsis[aws.ToString(l.IndexName)] = [2]string{keyString(l.KeySchema), projectionString(l.Projection)}
	}
	return describe(d.KeySchema, d.AttributeDefinitions, billing, gsis, lsis)
}

// The tables as the templates declare them, written out by hand.
const (
	alertStateTable = "keys pk HASH; billing PAY_PER_REQUEST; attrs pk:S;"
	changeTable     = "keys pk HASH, sk RANGE; billing PROVISIONED 5/2; attrs at:N,pk:S,principal:S,sk:S,tag_value:S;" +
		" gsi by-tag: tag_value HASH, at RANGE INCLUDEevent_name+principal 1/1;" +
		" lsi by-principal: pk HASH, principal RANGE KEYS_ONLY;"
)

func TestTableFromTemplate(t *testing.T) {
	repoTemplate := templatePath(t)
	tests := []struct {
		template, logicalID string
		want, ttl           string
		err                 string
	}{
		{repoTemplate, "AlertStateTable", alertStateTable, "expires_at", ""},
		{testTemplate, "ChangeTable", changeTable, "expires_at", ""},
		{testTemplate, "TTLOffTable", "keys id HASH; billing PAY_PER_REQUEST; attrs id:S;", "", ""},
		{testTemplate, "IntrinsicTable", "", "", "BillingMode"},
		{testTemplate, "NoKeysTable", "", "", "NoKeysTable.Properties.KeySchema is missing"},
		{testTemplate, "Topic", "", "", "Topic is a AWS::SNS::Topic, not an AWS::DynamoDB::Table"},
		{testTemplate, "MissingTable", "", "", "no resource MissingTable"},
		{"testdata/absent.yaml", "ChangeTable", "", "", "absent.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.logicalID, func(t *testing.T) {
			in, ttl, err := tableFromTemplate(tt.template, tt.logicalID)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one mentioning %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describeInput(in); got != tt.want {
				t.Errorf("CreateTableInput\n got %s\nwant %s", got, tt.want)
			}
			if ttl != tt.ttl {
				t.Errorf("TTL attribute %q, want %q", ttl, tt.ttl)
			}
			if in.TableName != nil {
				t.Errorf("TableName %q set: CreateTable names tables", *in.TableName)
			}
		})
	}
}

func TestCreateTableMatchesTemplate(t *testing.T) {
	client := DynamoDB(t)
	tests := []struct {
		template, logicalID, want string
	}{
		{templatePath(t), "AlertStateTable", alertStateTable},
		{testTemplate, "ChangeTable", changeTable},
	}
	for _, tt := range tests {
		t.Run(tt.logicalID, func(t *testing.T) {
			name := createTable(t, client, tt.template, tt.logicalID)
			out, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if got := describeTable(out.Table); got != tt.want {
				t.Errorf("table %s\n got %s\nwant %s", name, got, tt.want)
			}
			if out.Table.TableStatus != types.TableStatusActive {
				t.Errorf("status %s, want ACTIVE", out.Table.TableStatus)
			}
		})
	}
}

// TestCreateTableUsesRepoTemplate: the exported CreateTable reads
// template.yaml at the repository root.
func TestCreateTableUsesRepoTemplate(t *testing.T) {
	client := DynamoDB(t)
	name := CreateTable(t, client, "AlertStateTable")
	if !strings.HasPrefix(name, "AlertStateTable-") {
		t.Errorf("table name %q does not start with the logical ID", name)
	}
	_, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{
		TableName: aws.String(name),
		Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "fp#x"}},
	})
	if err != nil {
		t.Errorf("PutItem keyed as the template says: %v", err)
	}
}

func TestTablesAreUniqueAndDeleted(t *testing.T) {
	client := DynamoDB(t)
	var names []string
	t.Run("create", func(t *testing.T) {
		names = append(names, createTable(t, client, testTemplate, "TTLOffTable"), createTable(t, client, testTemplate, "TTLOffTable"))
		if names[0] == names[1] {
			t.Fatalf("two tables named %s", names[0])
		}
	})
	for _, name := range names {
		_, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		if !errors.As(err, &notFound) {
			t.Errorf("table %s after its test: DescribeTable = %v, want ResourceNotFoundException", name, err)
		}
	}
}

// TestDynaliteHasNoUpdateTimeToLive pins what CreateTable documents: the
// emulator rejects UpdateTimeToLive as an unknown operation. If dynalite
// gains it, this fails, and CreateTable's TTL note should be revisited.
func TestDynaliteHasNoUpdateTimeToLive(t *testing.T) {
	client := DynamoDB(t)
	name := createTable(t, client, testTemplate, "TTLOffTable")
	_, err := client.UpdateTimeToLive(t.Context(), &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" {
		t.Fatalf("UpdateTimeToLive = %v, want UnknownOperationException", err)
	}
	out, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil || out.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Errorf("DescribeTimeToLive = %+v, %v; want DISABLED", out, err)
	}
}

func TestS3Bucket(t *testing.T) {
	client := S3(t)
	var buckets []string
	t.Run("use", func(t *testing.T) {
		buckets = append(buckets, S3Bucket(t, client), S3Bucket(t, client))
		if buckets[0] == buckets[1] {
			t.Fatalf("two buckets named %s", buckets[0])
		}
		key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/file.json.gz"
		if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{
			Bucket: aws.String(buckets[0]), Key: aws.String(key), Body: strings.NewReader("content"),
		}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(buckets[0]), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		defer out.Body.Close()
		if body, err := io.ReadAll(out.Body); err != nil || string(body) != "content" {
			t.Errorf("GetObject body %q, %v", body, err)
		}
	})
	// Removed, objects and all, when the subtest ended.
	for _, b := range buckets {
		_, err := client.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(b)})
		var notFound *s3types.NotFound
		if !errors.As(err, &notFound) {
			t.Errorf("bucket %s after its test: HeadBucket = %v, want NotFound", b, err)
		}
	}
}

// TestEmulatorsSurviveAbortedRequests: a client that gives up on a request half-way (a test's
// cancelled context does) leaves the emulator serving the next one, instead of taking it down
// for every test after.
func TestEmulatorsSurviveAbortedRequests(t *testing.T) {
	ddb, s3c := DynamoDB(t), S3(t)
	for _, variable := range []string{DynamoDBEndpointVar, S3EndpointVar} {
		u, err := url.Parse(os.Getenv(variable))
		if err != nil {
			t.Fatalf("%s: %v", variable, err)
		}
		for range 3 {
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatalf("dial %s: %v", u.Host, err)
			}
			fmt.Fprint(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nContent-Type: application/x-amz-json-1.0\r\n\r\n{\"a\":")
			time.Sleep(20 * time.Millisecond) // let the server start reading the body
			conn.Close()
		}
	}
	time.Sleep(200 * time.Millisecond) // the servers see the closed connections
	ctx := context.Background()
	if _, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("DynamoDB emulator after aborted requests: %v", err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(S3Bucket(t, s3c)), Key: aws.String("after-aborts"), Body: strings.NewReader("x"),
	}); err != nil {
		t.Errorf("S3 emulator after aborted requests: %v", err)
	}
}

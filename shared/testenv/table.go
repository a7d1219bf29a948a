package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/trailguard/trailguard/internal/templatecheck"
)

// CreateTable creates, on client, the AWS::DynamoDB::Table that template.yaml
// declares as logicalID, under a name unique to this test, and deletes it when
// the test ends. It returns the table's name.
//
// Keys, attribute definitions, global and local secondary indexes (with their
// projections), billing mode and provisioned throughput come from the
// template, so code tested against the table cannot drift from what deploys.
// Properties that do not change how items are keyed or read (SSE, PITR,
// streams, tags, deletion protection) are not emulated.
//
// TimeToLiveSpecification is applied with UpdateTimeToLive where the emulator
// supports it. dynalite does not: UpdateTimeToLive is not among its
// operations (it answers 400 UnknownOperationException, DescribeTimeToLive
// always says DISABLED) and it never deletes expired items. The TTL is then
// logged and skipped. Real DynamoDB deletes expired items only eventually
// (typically within days), so code must treat an item whose TTL attribute is
// past as absent by itself; tests check that logic, not the deletion.
func CreateTable(t testing.TB, client *dynamodb.Client, logicalID string) string {
	t.Helper()
	return createTable(t, client, templatePath(t), logicalID)
}

// How often to poll the emulator for a table's status (the SDK's waiters
// default to 20 seconds, meant for real DynamoDB).
const pollMin, pollMax = 10 * time.Millisecond, 200 * time.Millisecond

func createTable(t testing.TB, client *dynamodb.Client, template, logicalID string) string {
	t.Helper()
	in, ttl, err := tableFromTemplate(template, logicalID)
	if err != nil {
		t.Fatal(err)
	}
	name := uniqueName(t, logicalID)
	in.TableName = aws.String(name)
	ctx := context.Background()
	if _, err := client.CreateTable(ctx, in); err != nil {
		t.Fatalf("create table %s (%s): %v", logicalID, name, err)
	}
	describeIn := &dynamodb.DescribeTableInput{TableName: aws.String(name)}
	t.Cleanup(func() {
		// Deletion is asynchronous: wait until the table is gone, so a test's
		// tables are gone when the test is.
		ctx := context.Background()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("delete table %s: %v", name, err)
			return
		}
		gone := dynamodb.NewTableNotExistsWaiter(client, func(o *dynamodb.TableNotExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = pollMin, pollMax
		})
		if err := gone.Wait(ctx, describeIn, time.Minute); err != nil {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	active := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = pollMin, pollMax
	})
	if err := active.Wait(ctx, describeIn, time.Minute); err != nil {
		t.Fatalf("table %s (%s) did not become active: %v", logicalID, name, err)
	}
	if ttl != "" {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(ttl), Enabled: aws.Bool(true)},
		})
		var apiErr smithy.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "UnknownOperationException":
			t.Logf("table %s: template sets TTL on %q; the emulator has no UpdateTimeToLive, so items do not expire here", logicalID, ttl)
		case err != nil:
			t.Fatalf("enable TTL on %s (%s): %v", logicalID, name, err)
		}
	}
	return name
}

// templatePath is template.yaml at the repository root: the first directory
// up from the test's working directory (its package) that holds go.mod.
func templatePath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("find template.yaml: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "template.yaml")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("find template.yaml: no go.mod above %s", dir)
		}
		dir = parent
	}
}

// templates caches each parsed template for the test binary's lifetime.
var (
	templatesMu sync.Mutex
	templates   = map[string]map[string]any{}
)

func loadTemplate(path string) (map[string]any, error) {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if tpl, ok := templates[path]; ok {
		return tpl, nil
	}
	tpl, err := templatecheck.Load(path)
	if err != nil {
		return nil, err
	}
	templates[path] = tpl
	return tpl, nil
}

// tableFromTemplate converts the table logicalID of the template at path into
// a CreateTableInput (without a name) and returns its TTL attribute, if the
// template enables TTL.
func tableFromTemplate(path, logicalID string) (*dynamodb.CreateTableInput, string, error) {
	tpl, err := loadTemplate(path)
	if err != nil {
		return nil, "", err
	}
	resources, _ := tpl["Resources"].(map[string]any)
	resource, ok := resources[logicalID].(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("%s: no resource %s", path, logicalID)
	}
	if typ := resource["Type"]; typ != "AWS::DynamoDB::Table" {
		return nil, "", fmt.Errorf("%s: resource %s is a %v, not an AWS::DynamoDB::Table", path, logicalID, typ)
	}
	// Round-trip the plain values through JSON into the property types: an
	// intrinsic function where a literal belongs is then an error naming the
	// property.
	raw, err := json.Marshal(resource["Properties"])
	if err != nil {
		return nil, "", fmt.Errorf("%s: %s.Properties: %w", path, logicalID, err)
	}
	var p tableProperties
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, "", fmt.Errorf("%s: %s.Properties (testenv reads literal table properties only): %w", path, logicalID, err)
	}
	if len(p.KeySchema) == 0 {
		return nil, "", fmt.Errorf("%s: %s.Properties.KeySchema is missing", path, logicalID)
	}
	return p.input(), p.TimeToLiveSpecification.attribute(), nil
}

// tableProperties holds the AWS::DynamoDB::Table properties CreateTable uses,
// named as in CloudFormation.
type tableProperties struct {
	AttributeDefinitions []struct {
		AttributeName string
		AttributeType string
	}
	KeySchema               []keyElement
	BillingMode             string
	ProvisionedThroughput   *throughput
	GlobalSecondaryIndexes  []index
	LocalSecondaryIndexes   []index
	TimeToLiveSpecification *ttlSpecification
}

type ttlSpecification struct {
	AttributeName string
	Enabled       cfnBool
}

type keyElement struct {
	AttributeName string
	KeyType       string
}

type throughput struct {
	ReadCapacityUnits  cfnInt
	WriteCapacityUnits cfnInt
}

type index struct {
	IndexName  string
	KeySchema  []keyElement
	Projection struct {
		ProjectionType   string
		NonKeyAttributes []string
	}
	ProvisionedThroughput *throughput
}

func (p tableProperties) input() *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		KeySchema:             keySchema(p.KeySchema),
		BillingMode:           types.BillingMode(p.BillingMode),
		ProvisionedThroughput: p.ProvisionedThroughput.sdk(),
	}
	for _, a := range p.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, ix := range p.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:             aws.String(ix.IndexName),
			KeySchema:             keySchema(ix.KeySchema),
			Projection:            ix.projection(),
			ProvisionedThroughput: ix.ProvisionedThroughput.sdk(),
		})
	}
	for _, ix := range p.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: ix.projection(),
		})
	}
	return in
}

func keySchema(keys []keyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}

func (ix index) projection() *types.Projection {
	p := &types.Projection{ProjectionType: types.ProjectionType(ix.Projection.ProjectionType)}
	if len(ix.Projection.NonKeyAttributes) > 0 {
		p.NonKeyAttributes = ix.Projection.NonKeyAttributes
	}
	return p
}

func (t *throughput) sdk() *types.ProvisionedThroughput {
	if t == nil {
		return nil
	}
	return &types.ProvisionedThroughput{
		ReadCapacityUnits:  aws.Int64(int64(t.ReadCapacityUnits)),
		WriteCapacityUnits: aws.Int64(int64(t.WriteCapacityUnits)),
	}
}

// attribute is the TTL attribute, or "" when TTL is not enabled.
func (s *ttlSpecification) attribute() string {
	if s == nil || !s.Enabled {
		return ""
	}
	return s.AttributeName
}

// cfnInt is a CloudFormation Integer, which a template may write as a number
// or as a numeric string.
type cfnInt int64

func (n *cfnInt) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = string(b)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("want an integer, got %s", b)
	}
	*n = cfnInt(v)
	return nil
}

// cfnBool is a CloudFormation Boolean: true/false, or "true"/"false".
type cfnBool bool

func (v *cfnBool) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = string(b)
	}
	parsed, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want a boolean, got %s", b)
	}
	*v = cfnBool(parsed)
	return nil
}

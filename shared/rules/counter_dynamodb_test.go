package rules_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/testenv"
)

// TestDynamoCounter runs the counter against dynalite, on the alert state table as
// template.yaml declares it.
func TestDynamoCounter(t *testing.T) {
	client := testenv.DynamoDB(t)
	table := testenv.CreateTable(t, client, "AlertStateTable")
	storecontract.RuleCounter(t, &rules.DynamoCounter{Client: client, Table: table})
	ctx := context.Background()
	expires := time.Date(2026, 11, 21, 10, 10, 0, 0, time.UTC)
	item, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "rt#k"}}})
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := item.Item["events"].(*types.AttributeValueMemberSS)
	exp, _ := item.Item["expires_at"].(*types.AttributeValueMemberN)
	if ids == nil || len(ids.Value) != 3 {
		t.Errorf("events %v, want the set to stop at the threshold (3)", item.Item["events"])
	}
	if exp == nil || exp.Value != fmt.Sprint(expires.Unix()) {
		t.Errorf("expires_at %v, want %d", item.Item["expires_at"], expires.Unix())
	}
}

package alert

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The Ledger and DigestLedger contract tests, run on every ledger, are in
// internal/storecontract; contract_test.go runs them on the memory and DynamoDB ledgers.

var t0 = time.Date(2026, 11, 21, 10, 2, 0, 0, time.UTC)

func alertFor(eventID string) Alert {
	a := sample()
	a.EventID = eventID
	return a
}

// dynamoCounts reads a fingerprint's (total, suppressed) from the DynamoDB ledger's item.
func dynamoCounts(t *testing.T, dl *DynamoDBLedger, a *Alert) (int, int) {
	t.Helper()
	out, err := dl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(dl.Table), Key: map[string]types.AttributeValue{"pk": str(fingerprintKey(a))}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return intAttr(out.Item, "total"), intAttr(out.Item, "suppressed")
}

// DynamoCounts is dynamoCounts for the contract suites run from package alert_test
// (contract_test.go).
var DynamoCounts = dynamoCounts

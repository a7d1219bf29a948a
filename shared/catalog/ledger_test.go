package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/shared/testenv"
)

// The ledger on dynalite, in the table template.yaml defines.
func TestLedgerOnDynamoDB(t *testing.T) {
	db := testenv.DynamoDB(t)
	l := &Ledger{DB: db, TableName: testenv.CreateTable(t, db, "PartitionLedgerTable"),
		Now: func() time.Time { return time.Date(2024, 5, 14, 10, 20, 0, 0, time.UTC) }}
	other := Table{Database: "trailguard", Name: "other"}

	var names []string
	for d := range 250 {
		p := day("111122223333", fmt.Sprintf("r%03d", d), 1)
		names = append(names, p.Name)
		if d%2 == 0 {
			if err := l.Record(t.Context(), testTable, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The same name in another table is another partition.
	if err := l.Record(t.Context(), other, day("111122223333", "r001", 1)); err != nil {
		t.Fatal(err)
	}
	known, err := l.Known(t.Context(), testTable, names) // three BatchGetItem calls
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 125 {
		t.Errorf("%d known, want 125", len(known))
	}
	for d, n := range names {
		if known[n] != (d%2 == 0) {
			t.Errorf("%s known=%v", n, known[n])
		}
	}

	// Recording again keeps the first item and is no error.
	first := day("111122223333", "r000", 1)
	moved := first
	moved.Location = "s3://elsewhere/"
	if err := l.Record(t.Context(), testTable, moved); err != nil {
		t.Fatalf("second Record: %v", err)
	}
	out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(l.TableName), Key: l.key(testTable, first.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if loc := out.Item["Location"].(*types.AttributeValueMemberS).Value; loc != first.Location {
		t.Errorf("Location %q, want the first writer's %q", loc, first.Location)
	}
	if at := out.Item["RegisteredAt"].(*types.AttributeValueMemberS).Value; at != "2024-05-14T10:20:00Z" {
		t.Errorf("RegisteredAt %q", at)
	}
}

// A DynamoDB failure is an error naming the table; nothing counts as known.
func TestLedgerErrors(t *testing.T) {
	db := testenv.DynamoDB(t)
	l := &Ledger{DB: db, TableName: "no-such-ledger"}
	if _, err := l.Known(context.Background(), testTable, []string{"a"}); err == nil {
		t.Error("Known on a missing table: no error")
	}
	if err := l.Record(context.Background(), testTable, day("111122223333", "us-east-1", 1)); err == nil {
		t.Error("Record on a missing table: no error")
	}
}

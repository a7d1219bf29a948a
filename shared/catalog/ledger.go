package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Ledger item attributes: the key is the table (database.table) and the partition's Hive name.
const (
	attrTable     = "GlueTable"
	attrPartition = "PartitionName"
	attrLocation  = "Location"
	attrAt        = "RegisteredAt"
)

// maxBatchGet is DynamoDB's limit of keys per BatchGetItem.
const maxBatchGet = 100

// DynamoDBAPI is the part of the DynamoDB client the ledger uses.
type DynamoDBAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Ledger is the DynamoDB table of registered partitions. It holds a partition only once
// Glue has it, so a partition missing from the ledger is at worst created twice (the second
// time Glue answers AlreadyExistsException), never lost.
type Ledger struct {
	DB        DynamoDBAPI
	TableName string
	Now       func() time.Time // time.Now when nil
	// UnprocessedRetries bounds the re-reads of keys DynamoDB leaves unprocessed; keys still
	// unread count as unknown.
	UnprocessedRetries int
}

// Known returns which of the named partitions of table the ledger holds.
func (l *Ledger) Known(ctx context.Context, table Table, names []string) (map[string]bool, error) {
	known := make(map[string]bool, len(names))
	for start := 0; start < len(names); start += maxBatchGet {
		keys := make([]map[string]types.AttributeValue, 0, maxBatchGet)
		for _, n := range names[start:min(start+maxBatchGet, len(names))] {
			keys = append(keys, l.key(table, n))
		}
		req := map[string]types.KeysAndAttributes{l.TableName: {
			Keys:                     keys,
			ProjectionExpression:     aws.String("#p"),
			ExpressionAttributeNames: map[string]string{"#p": attrPartition},
			ConsistentRead:           aws.Bool(true),
		}}
		for attempt := 0; len(req) > 0 && attempt <= l.UnprocessedRetries; attempt++ {
			if attempt > 0 {
				if err := sleep(ctx, time.Duration(attempt)*50*time.Millisecond); err != nil {
					return nil, err
				}
			}
			out, err := l.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("read ledger %s: %w", l.TableName, err)
			}
			for _, item := range out.Responses[l.TableName] {
				if v, ok := item[attrPartition].(*types.AttributeValueMemberS); ok {
					known[v.Value] = true
				}
			}
			req = out.UnprocessedKeys
		}
	}
	return known, nil
}

// Record writes the partition's ledger item unless it is there already (a concurrent
// writer or a redelivery got there first, which is no error).
func (l *Ledger) Record(ctx context.Context, table Table, p Partition) error {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	item := l.key(table, p.Name)
	item[attrLocation] = &types.AttributeValueMemberS{Value: p.Location}
	item[attrAt] = &types.AttributeValueMemberS{Value: now().UTC().Format(time.RFC3339)}
	_, err := l.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(l.TableName),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#p)"),
		ExpressionAttributeNames: map[string]string{"#p": attrPartition},
	})
	var exists *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("record partition %s of %s in ledger %s: %w", p.Name, table, l.TableName, err)
	}
	return nil
}

func (l *Ledger) key(table Table, name string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrTable:     &types.AttributeValueMemberS{Value: table.String()},
		attrPartition: &types.AttributeValueMemberS{Value: name},
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

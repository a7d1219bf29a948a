package tags

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// knownItem is one item of the last-known-tags table: partition key arn, TTL attribute
// expires_at (epoch seconds).
type knownItem struct {
	ARN       string `dynamodbav:"arn"`
	Tags      Tags   `dynamodbav:"tags"`
	UpdatedAt string `dynamodbav:"updated_at"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// knownDynamo is the part of the DynamoDB client DynamoKnown uses.
type knownDynamo interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoKnown keeps each resource's last known tags in a DynamoDB table keyed by ARN, so a
// delete is attributed after the resource, and its tags, are gone. Items expire (TTL) Retain
// after they were last written; every lookup rewrites them. An item past its expiry is
// absent even before DynamoDB deletes it.
type DynamoKnown struct {
	Client knownDynamo
	Table  string
	Retain time.Duration
	Now    func() time.Time // time.Now when nil
}

// Get returns the last tags known for arn.
func (k *DynamoKnown) Get(ctx context.Context, arn string) (Tags, bool, error) {
	out, err := k.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(k.Table),
		Key:            map[string]ddbtypes.AttributeValue{"arn": &ddbtypes.AttributeValueMemberS{Value: arn}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, false, fmt.Errorf("read last known tags of %s: %w", arn, err)
	}
	if out.Item == nil {
		return nil, false, nil
	}
	var it knownItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, false, fmt.Errorf("decode last known tags of %s: %w", arn, err)
	}
	if it.ExpiresAt <= k.now().Unix() {
		return nil, false, nil // expired: DynamoDB deletes such items only eventually
	}
	if it.Tags == nil {
		it.Tags = Tags{}
	}
	return it.Tags, true, nil
}

// Put records tags as the last known tags of arn.
func (k *DynamoKnown) Put(ctx context.Context, arn string, tags Tags) error {
	t := k.now().UTC()
	item, err := attributevalue.MarshalMap(knownItem{
		ARN: arn, Tags: tags, UpdatedAt: t.Format(time.RFC3339), ExpiresAt: t.Add(k.Retain).Unix(),
	})
	if err != nil {
		return fmt.Errorf("encode last known tags of %s: %w", arn, err)
	}
	if tags == nil {
		item["tags"] = &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{}}
	}
	if _, err := k.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(k.Table), Item: item}); err != nil {
		return fmt.Errorf("write last known tags of %s: %w", arn, err)
	}
	return nil
}

func (k *DynamoKnown) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// MemoryKnown keeps last known tags in memory: the local replay's store, and tests'.
type MemoryKnown struct {
	mu sync.Mutex
	m  map[string]Tags
}

// Get returns the last tags known for arn.
func (k *MemoryKnown) Get(_ context.Context, arn string) (Tags, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.m[arn]
	return t, ok, nil
}

// Put records tags as the last known tags of arn.
func (k *MemoryKnown) Put(_ context.Context, arn string, tags Tags) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]Tags{}
	}
	k.m[arn] = tags
	return nil
}

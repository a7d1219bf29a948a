package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynamoAPI is the part of the DynamoDB client DynamoState uses.
type dynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoState is State in the CloudPollTable of template.yaml (key "pk", TTL attribute
// "expires"):
//
//	cursor#<source>       end_ms (the window's end, Unix milliseconds), end (RFC 3339, for people)
//	seen#<cloud>#<id>     expires (Unix seconds, the TTL)
//
// A seen item is written only when absent (or past its expiry: DynamoDB deletes expired items
// eventually, days later, so one past its time counts as absent), so of two concurrent polls
// exactly one processes an event. A cursor only moves forward.
type DynamoState struct {
	Client dynamoAPI
	Table  string
	// Now is the clock that decides whether a seen item has expired (time.Now).
	Now func() time.Time
}

// maxKeyBytes bounds the pk written: DynamoDB refuses a partition key over 2048 bytes, and an
// event ID comes from the cloud; longer keys keep their start and end in a digest.
const maxKeyBytes = 1024

// stateKey is the pk of an item, a digest of it when it would be too long.
func stateKey(kind, id string) string {
	k := kind + "#" + id
	if len(k) <= maxKeyBytes {
		return k
	}
	sum := sha256.Sum256([]byte(id))
	return kind + "#sha256:" + hex.EncodeToString(sum[:])
}

func (s *DynamoState) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func pk(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}}
}

// Cursor implements State.
func (s *DynamoState) Cursor(ctx context.Context, source string) (time.Time, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: pk(stateKey("cursor", source)), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("end_ms"),
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("dynamodb: get cursor of %s: %w", source, err)
	}
	n, ok := out.Item["end_ms"].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("dynamodb: cursor of %s: end_ms %q: %w", source, n.Value, err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// SetCursor implements State. A cursor already further on (a later poll finished first) is
// left as it is.
func (s *DynamoState) SetCursor(ctx context.Context, source string, end time.Time) error {
	ms := end.UnixMilli()
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: pk(stateKey("cursor", source)),
		UpdateExpression:         aws.String("SET end_ms = :ms, #end = :iso"),
		ConditionExpression:      aws.String("attribute_not_exists(end_ms) OR end_ms < :ms"),
		ExpressionAttributeNames: map[string]string{"#end": "end"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":ms":  &types.AttributeValueMemberN{Value: strconv.FormatInt(ms, 10)},
			":iso": &types.AttributeValueMemberS{Value: end.UTC().Format(time.RFC3339Nano)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dynamodb: set cursor of %s: %w", source, err)
	}
	return nil
}

// Seen implements State.
func (s *DynamoState) Seen(ctx context.Context, key string) (bool, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: pk(stateKey("seen", key)), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#exp"), ExpressionAttributeNames: map[string]string{"#exp": "expires"},
	})
	if err != nil {
		return false, fmt.Errorf("dynamodb: get seen %s: %w", key, err)
	}
	n, ok := out.Item["expires"].(*types.AttributeValueMemberN)
	if !ok {
		return false, nil
	}
	exp, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return true, nil // a mark with a broken expiry is still a mark: never process twice
	}
	return exp > s.now().Unix(), nil
}

// MarkSeen implements State.
func (s *DynamoState) MarkSeen(ctx context.Context, key string, expires time.Time) (bool, error) {
	_, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			"pk":      &types.AttributeValueMemberS{Value: stateKey("seen", key)},
			"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
		},
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #exp <= :now"),
		ExpressionAttributeNames: map[string]string{"#exp": "expires"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(s.now().Unix(), 10)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamodb: mark seen %s: %w", key, err)
	}
	return true, nil
}

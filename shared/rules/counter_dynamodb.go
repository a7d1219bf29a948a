package rules

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// updater is the part of the DynamoDB client the counter uses.
type updater interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoCounter keeps threshold counts in a DynamoDB table keyed by a string "pk" with TTL on
// "expires_at" (the alert state table). One item per finding and window holds the set of its
// members (event IDs, or a distinct rule's values), so a redelivered event adds nothing; the
// set stops growing at the threshold, which bounds the item however busy the window (members
// are at most maxMember bytes, so 1,000 of them stay well inside DynamoDB's 400 KB item).
type DynamoCounter struct {
	Client updater
	Table  string
}

// Add implements Counter with one conditional UpdateItem.
func (c *DynamoCounter) Add(ctx context.Context, key, member string, limit int, expires time.Time) (bool, []string, error) {
	out, err := c.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(c.Table),
		Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}},
		// Add while below the limit; adding a member already there changes nothing.
		ConditionExpression: aws.String("attribute_not_exists(events) OR size(events) < :limit OR contains(events, :id)"),
		UpdateExpression:    aws.String("ADD events :ids SET expires_at = if_not_exists(expires_at, :exp)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":ids":   &types.AttributeValueMemberSS{Value: []string{member}},
			":id":    &types.AttributeValueMemberS{Value: member},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
			":exp":   &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
		// A full set is the usual answer once a burst crossed; DynamoDB then returns the set
		// with the refusal, so later alerts of the window still list it.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var full *types.ConditionalCheckFailedException
	if errors.As(err, &full) {
		set, _ := full.Item["events"].(*types.AttributeValueMemberSS)
		if set == nil {
			return true, nil, nil // already at the limit with other members
		}
		return true, set.Value, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("count %s in %s: %w", key, c.Table, err)
	}
	set, ok := out.Attributes["events"].(*types.AttributeValueMemberSS)
	if !ok {
		return false, nil, fmt.Errorf("count %s in %s: UpdateItem returned no events set", key, c.Table)
	}
	if len(set.Value) < limit {
		return false, nil, nil
	}
	return true, set.Value, nil
}

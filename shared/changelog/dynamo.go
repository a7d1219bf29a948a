package changelog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Names in the change table; template.yaml's ChangeTable defines the same.
const (
	AttrPK           = "pk"           // table partition key: EVENT_ID|RESOURCE_ARN (or "-")
	AttrSK           = "sk"           // table sort key: "change", or "tag#KEY" for a tag index item
	attrAt           = "at"           // both indexes' sort key: the change's time (TimeLayout)
	attrByPrincipal  = "by_principal" // ByPrincipal's partition key, on change items only
	attrByTag        = "by_tag"       // ByTag's partition key "KEY=VALUE", on tag index items only
	attrExpires      = "expires_at"   // TTL, epoch seconds
	skChange         = "change"
	SKTagPrefix      = "tag#"
	indexByTag       = "ByTag"
	indexByPrincipal = "ByPrincipal"
)

// DynamoDB is the part of the DynamoDB client the change store uses.
type DynamoDB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DynamoStore keeps change records in one DynamoDB table so that both questions auditors ask
// are one Query each, never a Scan:
//
//   - "every change to resources tagged project=apollo between t1 and t2":
//     Query index ByTag, by_tag = "project=apollo" AND at BETWEEN t1 AND t2;
//   - "every change by principal P between t1 and t2":
//     Query index ByPrincipal, by_principal = P AND at BETWEEN t1 AND t2.
//
// Layout. A change (one event × one resource) is a partition pk = "EVENT_ID|RESOURCE_ARN" of
// items that all carry the whole record:
//
//   - sk "change": the record itself, with by_principal (when the caller is known), so
//     ByPrincipal holds each change once;
//   - sk "tag#KEY" for each indexed tag key (TAG_KEYS) the resource carries, with
//     by_tag = "KEY=VALUE", so ByTag holds each change once per indexed tag.
//
// Both indexes project all attributes, so a Query returns whole records. One item per
// (record, indexed tag) rather than a GSI per tag key keeps TAG_KEYS a runtime setting (no
// table change to index another key) and the GSI count at two; the cost is one extra write
// per indexed tag a resource carries. Items expire by TTL (expires_at, RETENTION_DAYS after
// the change); a Query filters out those past it, which DynamoDB deletes only eventually.
//
// Idempotency. The change item is written first, on condition attribute_not_exists(pk): a
// redelivered event writes nothing new. Its tag items follow, as plain puts derived from
// the stored change; when the condition fails, the stored change's tag items are put again
// (same keys, same content), which completes a change whose first delivery failed between
// the two writes and duplicates nothing.
type DynamoStore struct {
	Client    DynamoDB
	Table     string
	IndexKeys []string         // TAG_KEYS
	Retain    time.Duration    // RETENTION_DAYS
	Now       func() time.Time // time.Now when nil
}

// Put stores c once. It returns the stored change (the earlier one for a redelivery) and
// whether this call created it.
func (s *DynamoStore) Put(ctx context.Context, c Change) (Change, bool, error) {
	item, err := s.item(c, skChange)
	if err != nil {
		return c, false, err
	}
	if c.Principal != "" {
		item[attrByPrincipal] = &ddbtypes.AttributeValueMemberS{Value: c.Principal}
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.Table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(" + AttrPK + ")"),
	})
	fresh := true
	var exists *ddbtypes.ConditionalCheckFailedException
	switch {
	case errors.As(err, &exists):
		fresh = false
		if c, err = s.get(ctx, c.Key()); err != nil {
			return c, false, err
		}
	case err != nil:
		return c, false, fmt.Errorf("write change %s: %w", c.Key(), err)
	}
	for _, k := range s.IndexKeys {
		v, ok := c.Tags[k]
		if !ok {
			continue
		}
		it, err := s.item(c, SKTagPrefix+k)
		if err != nil {
			return c, fresh, err
		}
		it[attrByTag] = &ddbtypes.AttributeValueMemberS{Value: k + "=" + v}
		if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: it}); err != nil {
			return c, fresh, fmt.Errorf("write tag index %s=%s of change %s: %w", k, v, c.Key(), err)
		}
	}
	return c, fresh, nil
}

// item is c as the item with sort key sk, without index keys.
func (s *DynamoStore) item(c Change, sk string) (map[string]ddbtypes.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(c)
	if err != nil {
		return nil, fmt.Errorf("encode change %s: %w", c.Key(), err)
	}
	if c.Tags == nil {
		item["tags"] = &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{}}
	}
	item[AttrPK] = &ddbtypes.AttributeValueMemberS{Value: c.Key()}
	item[AttrSK] = &ddbtypes.AttributeValueMemberS{Value: sk}
	item[attrExpires] = &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(c.At().Add(s.Retain).Unix())}
	return item, nil
}

// get reads a stored change.
func (s *DynamoStore) get(ctx context.Context, key string) (Change, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key: map[string]ddbtypes.AttributeValue{
			AttrPK: &ddbtypes.AttributeValueMemberS{Value: key},
			AttrSK: &ddbtypes.AttributeValueMemberS{Value: skChange},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Change{}, fmt.Errorf("read change %s: %w", key, err)
	}
	if out.Item == nil {
		return Change{}, fmt.Errorf("read change %s: the conditional write found it, the read did not", key)
	}
	var c Change
	if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
		return Change{}, fmt.Errorf("decode change %s: %w", key, err)
	}
	return c, nil
}

// ByTag returns the changes to resources tagged key=value between from and to, newest first.
func (s *DynamoStore) ByTag(ctx context.Context, key, value string, from, to time.Time) ([]Change, error) {
	return s.query(ctx, indexByTag, attrByTag, key+"="+value, from, to)
}

// ByPrincipal returns the changes made by principal between from and to, newest first.
func (s *DynamoStore) ByPrincipal(ctx context.Context, principal string, from, to time.Time) ([]Change, error) {
	return s.query(ctx, indexByPrincipal, attrByPrincipal, principal, from, to)
}

// query runs one Query (following its pages) on index for hashKey = value in [from, to].
func (s *DynamoStore) query(ctx context.Context, index, hashKey, value string, from, to time.Time) ([]Change, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		IndexName:              aws.String(index),
		KeyConditionExpression: aws.String("#h = :h AND #at BETWEEN :from AND :to"),
		// Expired records are gone for readers even before DynamoDB deletes them.
		FilterExpression: aws.String("#exp > :now"),
		ExpressionAttributeNames: map[string]string{
			"#h": hashKey, "#at": attrAt, "#exp": attrExpires,
		},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":h":    &ddbtypes.AttributeValueMemberS{Value: value},
			":from": &ddbtypes.AttributeValueMemberS{Value: from.UTC().Format(TimeLayout)},
			":to":   &ddbtypes.AttributeValueMemberS{Value: to.UTC().Format(TimeLayout)},
			":now":  &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(s.now().Unix())},
		},
		ScanIndexForward: aws.Bool(false),
	}
	var out []Change
	for {
		res, err := s.Client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query %s for %s: %w", index, value, err)
		}
		for _, it := range res.Items {
			var c Change
			if err := attributevalue.UnmarshalMap(it, &c); err != nil {
				return nil, fmt.Errorf("decode change %v: %w", it[AttrPK], err)
			}
			out = append(out, c)
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func (s *DynamoStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// TagPair splits "key=value" at the first "=" (a -query or tag= filter), trimming spaces; ok
// is false without "=" or with an empty key.
func TagPair(s string) (key, value string, ok bool) {
	key, value, ok = strings.Cut(s, "=")
	return strings.TrimSpace(key), strings.TrimSpace(value), ok && strings.TrimSpace(key) != ""
}

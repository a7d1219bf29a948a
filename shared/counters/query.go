package counters

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// storedRow is a counter item as the queries read it (its regions: itemRows). Region is
// an item's whose key holds its region.
type storedRow struct {
	Hour         string `dynamodbav:"hour"`
	Account      string `dynamodbav:"account"`
	Principal    string `dynamodbav:"principal"`
	SourceIP     string `dynamodbav:"source_ip"`
	EventName    string `dynamodbav:"event_name"`
	ResourceType string `dynamodbav:"resource_type"`
	ErrorCode    string `dynamodbav:"error_code"`
	EventType    string `dynamodbav:"event_type"`
	Region       string `dynamodbav:"region"`
	EventSource  string `dynamodbav:"event_source"`
	Cloud        string `dynamodbav:"cloud"`
	Count        int64  `dynamodbav:"count"`
}

// AccountHour returns every counter of account in hour ("2006-01-02T15"): one Query on the
// table's partition key. An item counting several regions is a row per region, so the rows
// are the counters as a Tally counts them.
func (t *Table) AccountHour(ctx context.Context, account, hour string) ([]Row, error) {
	return t.rows(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: activityPK(account, hour)}},
	})
}

// SourceHour returns every counter of calls from source (an IP address, a service name) in
// hour, across accounts: one Query on the BySourceIP index. The index does not hold an item's
// per-region counts: a row is an item, its Region the item's only region, or empty when it
// counts several regions or the index does not project its regions set.
func (t *Table) SourceHour(ctx context.Context, source, hour string) ([]Row, error) {
	return t.rows(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(IndexBySourceIP),
		KeyConditionExpression:    aws.String("ip_pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: sourcePK(source, hour)}},
	})
}

// PrincipalCount is a principal's number of calls.
type PrincipalCount struct {
	Principal string `json:"principal"`
	Count     int64  `json:"count"`
}

// BusiestPrincipals returns the n principals of account with the most calls on day
// ("2006-01-02"), busiest first: one Query on the ByAccountDay index, which holds one
// item per principal and hour (at most 24 per principal), summed here.
func (t *Table) BusiestPrincipals(ctx context.Context, account, day string, n int) ([]PrincipalCount, error) {
	rows, err := t.rows(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(IndexByAccountDay),
		KeyConditionExpression:    aws.String("day_pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: dayPK(account, day)}},
		ScanIndexForward:          aws.Bool(false),
	})
	if err != nil {
		return nil, err
	}
	sums := map[string]int64{}
	for _, r := range rows {
		sums[r.Principal] += r.Count
	}
	out := make([]PrincipalCount, 0, len(sums))
	for p, c := range sums {
		out = append(out, PrincipalCount{p, c})
	}
	slices.SortFunc(out, func(a, b PrincipalCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Principal, b.Principal))
	})
	return out[:min(n, len(out))], nil
}

// rows runs a query to its last page, leaving out expired items.
func (t *Table) rows(ctx context.Context, in *dynamodb.QueryInput) ([]Row, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	in.TableName = aws.String(t.Name)
	in.FilterExpression = aws.String("attribute_not_exists(#x) OR #x > :now")
	in.ExpressionAttributeNames = map[string]string{"#x": attrExpires}
	in.ExpressionAttributeValues[":now"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now().Unix(), 10)}
	var out []Row
	p := dynamodb.NewQueryPaginator(t.Client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query counters table %s: %w", t.Name, err)
		}
		for _, item := range page.Items {
			var s storedRow
			if err := attributevalue.UnmarshalMap(item, &s); err != nil {
				return nil, fmt.Errorf("counters table %s: item %v: %w", t.Name, item[attrPK], err)
			}
			out = append(out, itemRows(s.key(), s.Count, item)...)
		}
	}
	return out, nil
}

func (s *storedRow) key() Key {
	return Key{Hour: s.Hour, Account: s.Account, Principal: s.Principal, SourceIP: s.SourceIP, EventName: s.EventName,
		ResourceType: s.ResourceType, ErrorCode: s.ErrorCode, EventType: s.EventType, Region: s.Region,
		EventSource: s.EventSource, Cloud: s.Cloud}
}

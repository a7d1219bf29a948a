package alert

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// HistoryShards is how many items share one hour of the history: an item holds at most
// 400 KB (about a thousand alerts), so an hour holds about four thousand before a Record
// fails (logged by the Sender, never failing the alert).
const HistoryShards = 4

// HistoryFor is how long the history keeps an alert (the table's TTL): two weeks, more than
// the god view's longest range and its previous period.
const HistoryFor = 14 * 24 * time.Hour

// historyBatch bounds the entries of one UpdateItem (its expression stays under 4 KB).
const historyBatch = 40

// DynamoHistory keeps the sent alerts in the alert state table (AlertStateTable in
// template.yaml, key "pk" alone, TTL "expires_at"). The table has no sort key, so a range is
// not a Query: the alerts of one hour live in HistoryShards items keyed
// "h#<hour>#<shard>" (hour 2006-01-02T15 of the sending, shard from the alert's key), one
// attribute "s#<dedupe key>" per alert (its Sent as JSON); an item expires HistoryFor after
// its hour. Record writes each entry if absent (a redelivered batch keeps the first), and
// Recent reads every item of the range's hours with BatchGetItem (a day is 96 keys, one
// request), listing an alert once, at its first sending in the range: one sent again in a
// later hour (a lapsed lease) shows at the later time only in a range that misses the first.
type DynamoHistory struct {
	Client DynamoDBAPI
	Table  string
}

func historyKey(hour time.Time, shard int) string {
	return "h#" + hour.UTC().Format("2006-01-02T15") + "#" + strconv.Itoa(shard)
}

func historyShard(key string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % HistoryShards)
}

// Record implements History: one UpdateItem per item and up to historyBatch alerts.
func (h *DynamoHistory) Record(ctx context.Context, sent []Sent) error {
	type bucket struct {
		pk   string
		hour time.Time
	}
	groups := map[bucket][]Sent{}
	var order []bucket
	for _, s := range sent {
		hour := s.At.UTC().Truncate(time.Hour)
		b := bucket{historyKey(hour, historyShard(s.Key)), hour}
		if _, ok := groups[b]; !ok {
			order = append(order, b)
		}
		groups[b] = append(groups[b], s)
	}
	for _, b := range order {
		for chunk := range slices.Chunk(groups[b], historyBatch) {
			if err := h.update(ctx, b.pk, b.hour, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *DynamoHistory) update(ctx context.Context, pk string, hour time.Time, sent []Sent) error {
	names := map[string]string{}
	values := map[string]types.AttributeValue{":exp": num(hour.Add(HistoryFor).Unix())}
	sets := []string{"expires_at = :exp"}
	for i, s := range sent {
		b, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("alert history: %w", err)
		}
		n, v := "#s"+strconv.Itoa(i), ":s"+strconv.Itoa(i)
		names[n] = "s#" + s.Key
		values[v] = str(string(b))
		sets = append(sets, fmt.Sprintf("%s = if_not_exists(%s, %s)", n, n, v))
	}
	_, err := h.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(h.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(pk)},
		UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("alert history: write %s (%d alerts): %w", pk, len(sent), err)
	}
	return nil
}

// Recent implements History: the items of every hour in [from, to), 100 keys a BatchGetItem,
// unprocessed keys asked again (with a short pause, bounded by ctx).
func (h *DynamoHistory) Recent(ctx context.Context, from, to time.Time, limit int) ([]Sent, error) {
	var keys []map[string]types.AttributeValue
	for hour := from.UTC().Truncate(time.Hour); hour.Before(to); hour = hour.Add(time.Hour) {
		for shard := range HistoryShards {
			keys = append(keys, map[string]types.AttributeValue{"pk": str(historyKey(hour, shard))})
		}
	}
	first := map[string]Sent{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		batch := keys[:n]
		keys = keys[n:]
		for pause := 20 * time.Millisecond; len(batch) > 0; pause = min(2*pause, time.Second) {
			out, err := h.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				h.Table: {Keys: batch},
			}})
			if err != nil {
				return nil, fmt.Errorf("alert history: read: %w", err)
			}
			for _, item := range out.Responses[h.Table] {
				for name, v := range item {
					s, ok := v.(*types.AttributeValueMemberS)
					if !ok || !strings.HasPrefix(name, "s#") {
						continue
					}
					var e Sent
					if err := json.Unmarshal([]byte(s.Value), &e); err != nil {
						return nil, fmt.Errorf("alert history: %s: %w", name, err)
					}
					if e.At.Before(from) || !e.At.Before(to) {
						continue
					}
					if old, ok := first[e.Key]; !ok || e.At.Before(old.At) {
						first[e.Key] = e
					}
				}
			}
			batch = out.UnprocessedKeys[h.Table].Keys
			if len(batch) > 0 {
				select {
				case <-ctx.Done():
					return nil, fmt.Errorf("alert history: read: %w", ctx.Err())
				case <-time.After(pause):
				}
			}
		}
	}
	list := make([]Sent, 0, len(first))
	for _, s := range first {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b Sent) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.Key, b.Key)) })
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	return list, nil
}

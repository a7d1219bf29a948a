package counters

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// DynamoDB is the part of the DynamoDB client the counters table uses.
type DynamoDB interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DefaultConcurrency is how many counter writes a Table keeps in flight.
const DefaultConcurrency = 16

// Table is the counters table in DynamoDB.
type Table struct {
	Client      DynamoDB
	Name        string
	Retention   time.Duration // items expire (TTL) this long after their hour ends
	Concurrency int           // writes in flight; 0 means DefaultConcurrency
	// Now is the clock the queries use to leave out expired items DynamoDB has not yet
	// deleted (TTL deletion takes up to days); nil means time.Now.
	Now func() time.Time
	// Settle is how long after its hour ends an account-hour is merged (Flush): the files
	// of an hour arrive up to about fifteen minutes after it. 0 means DefaultSettle.
	Settle time.Duration
	// Lookback is how many hours of arrivals Flush looks through for staged files; 0 means
	// DefaultLookback.
	Lookback int
	// Budget bounds the distinct counters of one merge (and so its memory): an
	// account-hour with more is merged in several plans. 0 means DefaultBudget.
	Budget int
}

// Apply takes a file's tally in, exactly once per file (FileID, with its Part): the rule
// counters are incremented now, so a threshold is seen crossed by the file that crosses it;
// the activity counters and principal totals are staged (Stage) and reach their items when
// their account-hour is merged (Flush), once for all the files of the hour instead of once per
// file. The counts of a file show in the queries after the merge.
func (t *Table) Apply(ctx context.Context, file FileID, tally *Tally) (Applied, error) {
	writes, rules := plan(tally, planRules)
	applied, err := t.applyWrites(ctx, writes, rules, file.Marker())
	if err != nil {
		return applied, err
	}
	staged, already, err := t.stage(ctx, file, tally)
	applied.Written += staged
	applied.Already += already
	return applied, err
}

// applyWrites makes the writes, exactly once under marker: every write is a conditional
// UpdateItem that increments the count and records the marker (with the count before) only if
// the marker is not there yet. Made again, the writes find the marker on every item already
// written and write only the rest. DynamoDB has no batch form of a conditional update
// (BatchWriteItem only puts and deletes; TransactWriteItems is all-or-nothing per call and
// costs double), so the writes go out Concurrency at a time.
func (t *Table) applyWrites(ctx context.Context, writes iter.Seq[*write], rules []RuleCount, marker string) (Applied, error) {
	results := make([]RuleResult, len(rules))
	var written, already atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(t.Concurrency, DefaultConcurrency))
	for w := range writes {
		if ctx.Err() != nil {
			break // a write failed: the file fails, and its retry writes the rest
		}
		g.Go(func() error {
			before, dup, err := t.write(ctx, w, marker)
			if err != nil {
				return fmt.Errorf("counters table %s: item %s / %s: %w", t.Name, w.pk, w.sk, err)
			}
			if dup {
				already.Add(1)
			} else {
				written.Add(1)
			}
			if w.rule >= 0 {
				results[w.rule] = RuleResult{RuleCount: rules[w.rule], Before: before, After: before + w.inc}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Applied{}, err
	}
	return Applied{Written: int(written.Load()), Already: int(already.Load()), Rules: results}, nil
}

// write applies one increment. It returns the count before this file's increment, and
// whether the file had already applied it.
func (t *Table) write(ctx context.Context, w *write, marker string) (before int64, already bool, err error) {
	names := map[string]string{"#c": attrCount, "#m": marker}
	values := map[string]types.AttributeValue{
		":inc":  &types.AttributeValueMemberN{Value: strconv.FormatInt(w.inc, 10)},
		":zero": &types.AttributeValueMemberN{Value: "0"},
	}
	expr := "SET #c = if_not_exists(#c, :zero) + :inc, #m = if_not_exists(#c, :zero)"
	if t.Retention > 0 {
		exp, err := expiry(w.hour, t.Retention)
		if err != nil {
			return 0, false, err
		}
		names["#x"] = attrExpires
		values[":x"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(exp, 10)}
		expr += ", #x = :x"
	}
	for i, a := range w.attrs {
		n, v := "#a"+strconv.Itoa(i), ":a"+strconv.Itoa(i)
		names[n] = a.name
		values[v] = &types.AttributeValueMemberS{Value: a.value}
		expr += ", " + n + " = " + v
	}
	if len(w.regions) > 0 {
		set := make([]string, len(w.regions))
		adds := " ADD #g :g"
		names["#g"] = attrRegions
		for i, r := range w.regions {
			set[i] = regionMember(r.region)
			n, v := "#r"+strconv.Itoa(i), ":r"+strconv.Itoa(i)
			names[n] = regionAttr(r.region)
			values[v] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.n, 10)}
			adds += ", " + n + " " + v
		}
		values[":g"] = &types.AttributeValueMemberSS{Value: set}
		expr += adds
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       itemKey(w.pk, w.sk),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_not_exists(#m)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueNone,
	}
	if w.rule >= 0 {
		in.ReturnValues = types.ReturnValueUpdatedNew // #m: the count before
	}
	out, err := t.Client.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		if w.rule < 0 {
			return 0, true, nil
		}
		before, err := t.before(ctx, w, marker)
		return before, true, err
	case err != nil:
		return 0, false, err
	case w.rule >= 0:
		before, err := number(out.Attributes, marker)
		return before, false, err
	}
	return 0, false, nil
}

// before reads the count a file's earlier application recorded, to see its crossing again.
func (t *Table) before(ctx context.Context, w *write, marker string) (int64, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(t.Name),
		Key:                      itemKey(w.pk, w.sk),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#m"),
		ExpressionAttributeNames: map[string]string{"#m": marker},
	})
	if err != nil {
		return 0, fmt.Errorf("read marker: %w", err)
	}
	return number(out.Item, marker)
}

func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func number(item map[string]types.AttributeValue, name string) (int64, error) {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("attribute %s missing or not a number", name)
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s: %w", name, err)
	}
	return v, nil
}

package counters_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// wcuTable is an in-memory DynamoDB table that charges write units as DynamoDB bills them, for
// the write-cost benchmark (dynalite counts nothing, and 10^6 requests to it take too long).
//
// It understands the expressions the counters package writes: SET of operands, path,
// :value, if_not_exists(path, operand) and a + b; ADD path :n (a number or a string set); conditions
// attribute_not_exists / attribute_exists joined by AND / OR. Charging follows the DynamoDB
// developer guide ("Capacity unit consumption for write operations", "Provisioned throughput
// considerations for global secondary indexes"): a write costs ceil(size/1 KB) of the larger
// of the item before and after, at least 1, also when its condition fails; a transactional
// write costs double; each global secondary index is charged separately: a put of the projected
// item when an item enters it, a delete when it leaves, one write when a projected attribute
// changes, and a delete plus a put when an index key attribute changes.
type wcuTable struct {
	mu      sync.Mutex
	items   map[[2]string]map[string]types.AttributeValue
	indexes []wcuIndex
	WCU     struct{ Table, Index int64 }
	Calls   map[string]int64
	RCU     float64
	// QueryRCU is the part of RCU the Queries cost.
	QueryRCU float64
}

type wcuIndex struct {
	name      string
	hash, rng string
	projected []string // non-key attributes the index holds
}

// The counters table's indexes, as template.yaml declares them.
func newWCUTable() *wcuTable {
	return &wcuTable{
		items: map[[2]string]map[string]types.AttributeValue{},
		Calls: map[string]int64{},
		indexes: []wcuIndex{
			{"BySourceIP", "ip_pk", "ip_sk", []string{"hour", "account", "principal", "source_ip", "event_name", "resource_type", "error_code", "event_type", "count", "expires_at"}},
			{"ByAccountDay", "day_pk", "count", []string{"hour", "account", "principal", "expires_at"}},
		},
	}
}

// WCUTotal is every write unit charged, table and indexes.
func (w *wcuTable) WCUTotal() int64 { return w.WCU.Table + w.WCU.Index }

func units(size int) int64 { return int64(max(1, (size+1023)/1024)) }

// attrSize is an attribute value's billed size (DynamoDB developer guide, "Item sizes").
func attrSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		d := strings.TrimLeft(strings.TrimPrefix(v.Value, "-"), "0")
		return (len(d)+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += attrSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += len(k) + attrSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	}
	return 0
}

func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + attrSize(v)
	}
	return n
}

func (ix *wcuIndex) in(item map[string]types.AttributeValue) bool {
	return item != nil && item[ix.hash] != nil && item[ix.rng] != nil
}

func (ix *wcuIndex) projection(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	p := map[string]types.AttributeValue{}
	for _, a := range append([]string{"pk", "sk", ix.hash, ix.rng}, ix.projected...) {
		if v, ok := item[a]; ok {
			p[a] = v
		}
	}
	return p
}

func equalAV(a, b types.AttributeValue) bool {
	switch a := a.(type) {
	case *types.AttributeValueMemberS:
		b, ok := b.(*types.AttributeValueMemberS)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberN:
		b, ok := b.(*types.AttributeValueMemberN)
		return ok && a.Value == b.Value
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// charge bills one write that turned old into new (either may be nil), times mult.
func (w *wcuTable) charge(old, new map[string]types.AttributeValue, mult int64) {
	w.WCU.Table += mult * units(max(itemSize(old), itemSize(new)))
	for i := range w.indexes {
		ix := &w.indexes[i]
		inOld, inNew := ix.in(old), ix.in(new)
		po, pn := ix.projection(old), ix.projection(new)
		switch {
		case inOld && inNew:
			if !equalAV(old[ix.hash], new[ix.hash]) || !equalAV(old[ix.rng], new[ix.rng]) {
				w.WCU.Index += mult * (units(itemSize(po)) + units(itemSize(pn)))
			} else if !maps.EqualFunc(po, pn, equalAV) {
				w.WCU.Index += mult * units(max(itemSize(po), itemSize(pn)))
			}
		case inNew:
			w.WCU.Index += mult * units(itemSize(pn))
		case inOld:
			w.WCU.Index += mult * units(itemSize(po))
		}
	}
}

func keyOf(k map[string]types.AttributeValue) ([2]string, error) {
	pk, ok1 := k["pk"].(*types.AttributeValueMemberS)
	sk, ok2 := k["sk"].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return [2]string{}, errors.New("wcu fake: key needs pk and sk strings")
	}
	return [2]string{pk.Value, sk.Value}, nil
}

type exprCtx struct {
	names  map[string]string
	values map[string]types.AttributeValue
	item   map[string]types.AttributeValue
}

func (c *exprCtx) name(p string) string {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "#") {
		return c.names[p]
	}
	return p
}

// operand evaluates path, :value, if_not_exists(path, operand), a + b, a - b.
func (c *exprCtx) operand(s string) (types.AttributeValue, error) {
	s = strings.TrimSpace(s)
	if i := topLevel(s, '+'); i >= 0 {
		return c.arith(s[:i], s[i+1:], 1)
	}
	if i := topLevel(s, '-'); i >= 0 {
		return c.arith(s[:i], s[i+1:], -1)
	}
	switch {
	case strings.HasPrefix(s, "if_not_exists("):
		args := splitTop(strings.TrimSuffix(strings.TrimPrefix(s, "if_not_exists("), ")"), ',')
		if v, ok := c.item[c.name(args[0])]; ok {
			return v, nil
		}
		return c.operand(args[1])
	case strings.HasPrefix(s, ":"):
		v, ok := c.values[s]
		if !ok {
			return nil, fmt.Errorf("wcu fake: no value %s", s)
		}
		return v, nil
	default:
		v, ok := c.item[c.name(s)]
		if !ok {
			return nil, fmt.Errorf("wcu fake: attribute %s missing", s)
		}
		return v, nil
	}
}

func (c *exprCtx) arith(a, b string, sign int64) (types.AttributeValue, error) {
	x, err := c.operand(a)
	if err != nil {
		return nil, err
	}
	y, err := c.operand(b)
	if err != nil {
		return nil, err
	}
	xn, _ := strconv.ParseInt(x.(*types.AttributeValueMemberN).Value, 10, 64)
	yn, _ := strconv.ParseInt(y.(*types.AttributeValueMemberN).Value, 10, 64)
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(xn+sign*yn, 10)}, nil
}

// topLevel is the index of the last op outside parentheses, or -1.
func topLevel(s string, op byte) int {
	depth := 0
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ')':
			depth++
		case '(':
			depth--
		case op:
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// update applies an update expression (SET …, ADD …, REMOVE …) to a copy of item.
func (c *exprCtx) update(expr string) (map[string]types.AttributeValue, error) {
	out := maps.Clone(c.item)
	if out == nil {
		out = map[string]types.AttributeValue{}
	}
	clauses := splitClauses(expr)
	for _, cl := range clauses {
		verb, body, _ := strings.Cut(cl, " ")
		switch strings.ToUpper(verb) {
		case "SET":
			for _, a := range splitTop(body, ',') {
				path, val, ok := strings.Cut(a, "=")
				if !ok {
					return nil, fmt.Errorf("wcu fake: SET %q", a)
				}
				v, err := c.operand(val)
				if err != nil {
					return nil, err
				}
				out[c.name(path)] = v
			}
		case "ADD":
			for _, a := range splitTop(body, ',') {
				f := strings.Fields(a)
				if set, ok := c.values[f[1]].(*types.AttributeValueMemberSS); ok { // ADD to a string set
					union := []string{}
					if cur, ok := out[c.name(f[0])].(*types.AttributeValueMemberSS); ok {
						union = append(union, cur.Value...)
					}
					for _, e := range set.Value {
						if !slices.Contains(union, e) {
							union = append(union, e)
						}
					}
					out[c.name(f[0])] = &types.AttributeValueMemberSS{Value: union}
					continue
				}
				n, ok := c.values[f[1]].(*types.AttributeValueMemberN)
				if !ok {
					return nil, fmt.Errorf("wcu fake: ADD %q", a)
				}
				inc, _ := strconv.ParseInt(n.Value, 10, 64)
				var cur int64
				if v, ok := out[c.name(f[0])].(*types.AttributeValueMemberN); ok {
					cur, _ = strconv.ParseInt(v.Value, 10, 64)
				}
				out[c.name(f[0])] = &types.AttributeValueMemberN{Value: strconv.FormatInt(cur+inc, 10)}
			}
		case "REMOVE":
			for _, a := range splitTop(body, ',') {
				delete(out, c.name(a))
			}
		default:
			return nil, fmt.Errorf("wcu fake: update clause %q", cl)
		}
	}
	return out, nil
}

// splitClauses splits "SET a = b, c = d ADD e :f" at its keywords.
func splitClauses(expr string) []string {
	words := strings.FieldsFunc(expr, unicode.IsSpace)
	var out []string
	for _, w := range words {
		switch strings.ToUpper(w) {
		case "SET", "ADD", "REMOVE", "DELETE":
			out = append(out, w)
			continue
		}
		out[len(out)-1] += " " + w
	}
	return out
}

// cond evaluates attribute_(not_)exists(path) terms joined by AND / OR (no parentheses
// around the terms, AND before OR).
func (c *exprCtx) cond(expr string) (bool, error) {
	if strings.TrimSpace(expr) == "" {
		return true, nil
	}
	for _, alt := range strings.Split(expr, " OR ") {
		all := true
		for _, term := range strings.Split(alt, " AND ") {
			term = strings.TrimSpace(term)
			var ok bool
			switch {
			case strings.HasPrefix(term, "attribute_not_exists("):
				_, has := c.item[c.name(strings.TrimSuffix(strings.TrimPrefix(term, "attribute_not_exists("), ")"))]
				ok = !has
			case strings.HasPrefix(term, "attribute_exists("):
				_, ok = c.item[c.name(strings.TrimSuffix(strings.TrimPrefix(term, "attribute_exists("), ")"))]
			default:
				f := strings.Fields(term)
				if len(f) != 3 || (f[1] != "=" && f[1] != "<=") {
					return false, fmt.Errorf("wcu fake: condition %q", term)
				}
				a, err := c.operand(f[0])
				if err != nil {
					ok = false
					break
				}
				b, err := c.operand(f[2])
				if f[1] == "<=" {
					x, _ := a.(*types.AttributeValueMemberN)
					y, _ := b.(*types.AttributeValueMemberN)
					if err != nil || x == nil || y == nil {
						ok = false
						break
					}
					xn, _ := strconv.ParseInt(x.Value, 10, 64)
					yn, _ := strconv.ParseInt(y.Value, 10, 64)
					ok = xn <= yn
					break
				}
				ok = err == nil && equalAV(a, b)
			}
			all = all && ok
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func (w *wcuTable) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Calls["UpdateItem"]++
	k, err := keyOf(in.Key)
	if err != nil {
		return nil, err
	}
	old := w.items[k]
	c := &exprCtx{names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues, item: old}
	ok, err := c.cond(aws.ToString(in.ConditionExpression))
	if err != nil {
		return nil, err
	}
	if !ok {
		w.charge(old, old, 1)
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	updated, err := c.update(aws.ToString(in.UpdateExpression))
	if err != nil {
		return nil, err
	}
	maps.Copy(updated, in.Key)
	w.charge(old, updated, 1)
	w.items[k] = updated
	out := &dynamodb.UpdateItemOutput{}
	if in.ReturnValues == types.ReturnValueUpdatedNew || in.ReturnValues == types.ReturnValueAllNew {
		out.Attributes = maps.Clone(updated)
	}
	return out, nil
}

func (w *wcuTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Calls["PutItem"]++
	k, err := keyOf(in.Item)
	if err != nil {
		return nil, err
	}
	old := w.items[k]
	c := &exprCtx{names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues, item: old}
	ok, err := c.cond(aws.ToString(in.ConditionExpression))
	if err != nil {
		return nil, err
	}
	if !ok {
		w.charge(old, old, 1)
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	w.charge(old, in.Item, 1)
	w.items[k] = maps.Clone(in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

func (w *wcuTable) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Calls["DeleteItem"]++
	k, err := keyOf(in.Key)
	if err != nil {
		return nil, err
	}
	old := w.items[k]
	c := &exprCtx{names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues, item: old}
	ok, err := c.cond(aws.ToString(in.ConditionExpression))
	if err != nil {
		return nil, err
	}
	if !ok {
		w.charge(old, old, 1)
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	w.charge(old, nil, 1)
	delete(w.items, k)
	return &dynamodb.DeleteItemOutput{}, nil
}

func (w *wcuTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Calls["GetItem"]++
	k, err := keyOf(in.Key)
	if err != nil {
		return nil, err
	}
	item := w.items[k]
	w.RCU += float64(units(itemSize(item))) / 2
	if aws.ToBool(in.ConsistentRead) {
		w.RCU += float64(units(itemSize(item))) / 2
	}
	return &dynamodb.GetItemOutput{Item: maps.Clone(item)}, nil
}

// Query answers "pk = :pk", optionally "AND begins_with(sk, :x)", on the table (no index;
// the filter on expiry is not applied: nothing expires in the benchmarks). It bills as DynamoDB
// does: per response page (at most 1 MB of items), the items' total size rounded up to 4 KB,
// one read unit per 4 KB strongly consistent, half eventually consistent.
func (w *wcuTable) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Calls["Query"]++
	cond := strings.TrimSpace(aws.ToString(in.KeyConditionExpression))
	prefix := ""
	switch {
	case in.IndexName != nil:
		return nil, fmt.Errorf("wcu fake: query on index %v not supported", aws.ToString(in.IndexName))
	case cond == "pk = :pk":
	case strings.HasPrefix(cond, "pk = :pk AND begins_with(sk, ") && strings.HasSuffix(cond, ")"):
		v := strings.TrimSuffix(strings.TrimPrefix(cond, "pk = :pk AND begins_with(sk, "), ")")
		prefix = in.ExpressionAttributeValues[v].(*types.AttributeValueMemberS).Value
	default:
		return nil, fmt.Errorf("wcu fake: query %q not supported", cond)
	}
	pk := in.ExpressionAttributeValues[":pk"].(*types.AttributeValueMemberS).Value
	var keys [][2]string
	for k := range w.items {
		if k[0] == pk && strings.HasPrefix(k[1], prefix) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[1], b[1]) })
	if start := in.ExclusiveStartKey; start != nil {
		after := start["sk"].(*types.AttributeValueMemberS).Value
		i, _ := slices.BinarySearchFunc(keys, after, func(k [2]string, sk string) int { return strings.Compare(k[1], sk) })
		for i < len(keys) && keys[i][1] <= after {
			i++
		}
		keys = keys[i:]
	}
	out := &dynamodb.QueryOutput{}
	size := 0
	for _, k := range keys {
		if size >= 1<<20 {
			out.LastEvaluatedKey = map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: out.Items[len(out.Items)-1]["sk"].(*types.AttributeValueMemberS).Value},
			}
			break
		}
		out.Items = append(out.Items, maps.Clone(w.items[k]))
		size += itemSize(w.items[k])
	}
	out.Count = int32(len(out.Items))
	rcu := float64(max(1, (size+4095)/4096))
	if !aws.ToBool(in.ConsistentRead) {
		rcu /= 2
	}
	w.RCU += rcu
	w.QueryRCU += rcu
	return out, nil
}

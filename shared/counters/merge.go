package counters

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/klauspost/compress/flate"
)

// Defaults of Table's merge settings.
const (
	DefaultSettle   = 15 * time.Minute
	DefaultLookback = 72
	DefaultBudget   = 100_000
)

// Item kinds of the merge (the first part of their partition key).
const (
	kindStage   = "S" // a file's staged counts of one account-hour, and that account-hour's plans
	kindPending = "Q" // account-hours with staged counts, by the hour the files arrived
)

// stageChunk bounds the encoded counters of one stage item before compression, so that an
// item stays well under DynamoDB's 400 KB whatever the keys.
const stageChunk = 300 << 10

// maxPlanStages bounds the stages one plan lists, so that a plan item stays under 400 KB.
const maxPlanStages = 2000

// group is one account-hour: the unit of merging.
type group struct{ account, hour string }

func stagePK(g group) string { return joinKey(maxPK, kindStage, g.account, g.hour) }

// stage writes a file's activity counts, one stage item per account-hour (more for a big
// one), each a conditional put: a redelivered file finds its items and writes nothing. Then it
// marks each account-hour pending, under the hour it arrived in, for Flush to find.
func (t *Table) stage(ctx context.Context, file FileID, tally *Tally) (written, already int, err error) {
	bufs := map[group]*bytes.Buffer{}
	chunks := map[group]int{}
	marker := file.Marker()
	put := func(g group, raw []byte, n int) error {
		sk := "f#" + marker + "#" + strconv.Itoa(chunks[g])
		chunks[g]++
		ok, err := t.putStage(ctx, g, sk, raw, n)
		if err != nil {
			return fmt.Errorf("counters table %s: stage %s / %s: %w", t.Name, stagePK(g), sk, err)
		}
		if ok {
			written++
		} else {
			already++
		}
		return nil
	}
	counts := map[group]int{}
	for k, count := range tally.counters() {
		g := group{k.Account, k.Hour}
		b := bufs[g]
		if b == nil {
			b = &bytes.Buffer{}
			bufs[g] = b
		}
		appendStaged(b, &k, count)
		if counts[g]++; b.Len() >= stageChunk {
			if err := put(g, b.Bytes(), counts[g]); err != nil {
				return written, already, err
			}
			b.Reset()
			counts[g] = 0
		}
	}
	groups := make([]group, 0, len(bufs))
	for g := range bufs {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b group) int { return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.account, b.account)) })
	for _, g := range groups {
		if bufs[g].Len() > 0 {
			if err := put(g, bufs[g].Bytes(), counts[g]); err != nil {
				return written, already, err
			}
		}
	}
	arrived := t.now().UTC().Format(HourLayout)
	for _, g := range groups {
		if err := t.markPending(ctx, arrived, g); err != nil {
			return written, already, err
		}
	}
	return written, already, nil
}

// stagedFields are the values of a staged counter after account and hour, in their encoded
// order. Stages written before Region, EventSource and Cloud joined the Key (no "v" attribute)
// hold the first six.
func stagedFields(k *Key) [keyFields - 2]*string {
	return [...]*string{&k.Principal, &k.SourceIP, &k.EventName, &k.ResourceType, &k.ErrorCode, &k.EventType,
		&k.Region, &k.EventSource, &k.Cloud}
}

// stageVersion is the "v" of the stages written now: every staged field.
const stageVersion = 2

// appendStaged encodes one counter of a stage: its values after account and hour,
// length-prefixed, then the count.
func appendStaged(b *bytes.Buffer, k *Key, count int64) {
	var tmp [binary.MaxVarintLen64]byte
	for _, v := range stagedFields(k) {
		b.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(*v)))])
		b.WriteString(*v)
	}
	b.Write(tmp[:binary.PutUvarint(tmp[:], uint64(count))])
}

// readStaged adds a stage's counters to t; version is the stage's "v" (0: a stage of the
// six-value layout, written before the deployment that added the rest).
func readStaged(t *Tally, g group, blob []byte, version int) error {
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(blob)))
	if err != nil {
		return fmt.Errorf("stage of %s %s: %w", g.account, g.hour, err)
	}
	r := bytes.NewReader(raw)
	k := Key{Account: g.account, Hour: g.hour}
	fields := stagedFields(&k)
	n := len(fields)
	if version < stageVersion {
		n = 6
	}
	for r.Len() > 0 {
		for _, p := range fields[:n] {
			n, err := binary.ReadUvarint(r)
			if err != nil || n > uint64(r.Len()) {
				return fmt.Errorf("stage of %s %s: truncated", g.account, g.hour)
			}
			v := make([]byte, n)
			r.Read(v)
			*p = string(v)
		}
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("stage of %s %s: truncated", g.account, g.hour)
		}
		t.addCount(&k, int64(n))
	}
	return nil
}

func (t *Table) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Table) expires(hour string) (*types.AttributeValueMemberN, error) {
	exp, err := expiry(hour, cmp.Or(t.Retention, 90*24*time.Hour))
	if err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(exp, 10)}, nil
}

// putStage writes one stage item unless it is there already (false).
func (t *Table) putStage(ctx context.Context, g group, sk string, raw []byte, n int) (bool, error) {
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestSpeed)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return false, err
	}
	exp, err := t.expires(g.hour)
	if err != nil {
		return false, err
	}
	_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name),
		Item: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: stagePK(g)}, attrSK: &types.AttributeValueMemberS{Value: sk},
			"account": &types.AttributeValueMemberS{Value: g.account}, "hour": &types.AttributeValueMemberS{Value: g.hour},
			"t": &types.AttributeValueMemberB{Value: z.Bytes()}, "n": &types.AttributeValueMemberN{Value: strconv.Itoa(n)},
			"v": &types.AttributeValueMemberN{Value: strconv.Itoa(stageVersion)}, attrExpires: exp,
		},
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, err
}

// markPending records that g has staged counts, under the hour they arrived; its n grows with
// every stage, so Flush removes the mark only if nothing was staged since it looked.
func (t *Table) markPending(ctx context.Context, arrived string, g group) error {
	exp, err := t.expires(arrived)
	if err != nil {
		return err
	}
	_, err = t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(t.Name),
		Key:              itemKey(joinKey(maxPK, kindPending, arrived), joinKey(maxSK, g.account, g.hour)),
		UpdateExpression: aws.String("SET #a = :a, #h = :h, #x = :x ADD #n :one"),
		ExpressionAttributeNames: map[string]string{
			"#a": "account", "#h": "hour", "#x": attrExpires, "#n": "n",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":a": &types.AttributeValueMemberS{Value: g.account}, ":h": &types.AttributeValueMemberS{Value: g.hour},
			":x": exp, ":one": &types.AttributeValueMemberN{Value: "1"},
		},
	})
	if err != nil {
		return fmt.Errorf("counters table %s: mark %s %s pending: %w", t.Name, g.account, g.hour, err)
	}
	return nil
}

// Flushed reports what a Flush did.
type Flushed struct {
	Groups  int // account-hours merged
	Plans   int // plans applied (a plan is a set of stages merged and written once)
	Stages  int // stage items merged
	Written int // counter items written
	NotDue  int // account-hours left for a later flush: their hour has not settled
}

// Flush merges every account-hour with staged counts whose hour ended Settle ago: all the
// files staged for it since its last merge are added together and written once per distinct
// counter (FlushGroup). It finds them through their pending marks of the last Lookback hours.
func (t *Table) Flush(ctx context.Context) (Flushed, error) {
	var out Flushed
	now := t.now().UTC()
	settle := cmp.Or(t.Settle, DefaultSettle)
	for h := range cmp.Or(t.Lookback, DefaultLookback) + 1 {
		arrived := now.Truncate(time.Hour).Add(-time.Duration(h) * time.Hour).Format(HourLayout)
		items, err := t.queryAll(ctx, joinKey(maxPK, kindPending, arrived), "")
		if err != nil {
			return out, err
		}
		for _, it := range items {
			g := group{str(it, "account"), str(it, "hour")}
			start, err := time.Parse(HourLayout, g.hour)
			if err != nil {
				return out, fmt.Errorf("pending %v: %w", it[attrSK], err)
			}
			if now.Before(start.Add(time.Hour + settle)) {
				out.NotDue++
				continue
			}
			f, err := t.FlushGroup(ctx, g.account, g.hour)
			out.Groups++
			out.Plans += f.Plans
			out.Stages += f.Stages
			out.Written += f.Written
			if err != nil {
				return out, err
			}
			_, err = t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName:                 aws.String(t.Name),
				Key:                       itemKey(str(it, attrPK), str(it, attrSK)),
				ConditionExpression:       aws.String("#n = :n"),
				ExpressionAttributeNames:  map[string]string{"#n": "n"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":n": it["n"]},
			})
			var ccf *types.ConditionalCheckFailedException
			if err != nil && !errors.As(err, &ccf) { // staged again meanwhile: the mark stays for the next flush
				return out, fmt.Errorf("counters table %s: unmark %s %s: %w", t.Name, g.account, g.hour, err)
			}
		}
	}
	return out, nil
}

// plan item: the stages one merge takes, fixed before any of its writes, so a merge that
// fails half-way is finished by the next with the same stages and the same marker.
type mergePlan struct {
	sk     string
	seq    int
	stages []string
	done   bool
}

// FlushGroup merges the staged counts of one account-hour that no earlier merge took. It
// first finishes any merge left half-done; then it writes a plan naming the new stages (a
// conditional put: of two concurrent flushes one plans, the other finishes that plan) and
// applies their sum with the plan's marker, so every stage is counted exactly once however
// often this runs or fails.
func (t *Table) FlushGroup(ctx context.Context, account, hour string) (Flushed, error) {
	var out Flushed
	g := group{account, hour}
	pk := stagePK(g)
	for attempt := 0; attempt < 8; attempt++ {
		items, err := t.queryAll(ctx, pk, "#pk, #sk, #n, #s, #d")
		if err != nil {
			return out, err
		}
		stages := map[string]map[string]types.AttributeValue{}
		var plans []mergePlan
		taken := map[string]bool{}
		for _, it := range items {
			sk := str(it, attrSK)
			switch {
			case strings.HasPrefix(sk, "f#"):
				stages[sk] = it
			case strings.HasPrefix(sk, "p#"):
				p := mergePlan{sk: sk}
				p.seq, _ = strconv.Atoi(sk[2:])
				if l, ok := it["stages"].(*types.AttributeValueMemberSS); ok {
					p.stages = l.Value
				}
				if d, ok := it["done"].(*types.AttributeValueMemberBOOL); ok {
					p.done = d.Value
				}
				for _, s := range p.stages {
					taken[s] = true
				}
				plans = append(plans, p)
			}
		}
		next := 1
		for _, p := range plans {
			next = max(next, p.seq+1)
			if !p.done {
				if err := t.applyPlan(ctx, g, pk, p, stages, &out); err != nil {
					return out, err
				}
			}
		}
		var fresh []string
		for sk := range stages {
			if !taken[sk] {
				fresh = append(fresh, sk)
			}
		}
		if len(fresh) == 0 {
			return out, nil
		}
		slices.Sort(fresh)
		budget := cmp.Or(t.Budget, DefaultBudget)
		var p mergePlan
		sum := 0
		for _, sk := range fresh {
			n, _ := strconv.Atoi(numStr(stages[sk], "n"))
			if len(p.stages) > 0 && (sum+n > budget || len(p.stages) >= maxPlanStages) {
				break
			}
			p.stages = append(p.stages, sk)
			sum += n
		}
		p.seq = next
		p.sk = fmt.Sprintf("p#%08d", next)
		exp, err := t.expires(hour)
		if err != nil {
			return out, err
		}
		_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(t.Name),
			Item: map[string]types.AttributeValue{
				attrPK: &types.AttributeValueMemberS{Value: pk}, attrSK: &types.AttributeValueMemberS{Value: p.sk},
				"stages": &types.AttributeValueMemberSS{Value: p.stages}, "done": &types.AttributeValueMemberBOOL{Value: false},
				attrExpires: exp,
			},
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			continue // another flush planned first: read again, and finish its plan
		}
		if err != nil {
			return out, fmt.Errorf("counters table %s: plan %s / %s: %w", t.Name, pk, p.sk, err)
		}
		if err := t.applyPlan(ctx, g, pk, p, stages, &out); err != nil {
			return out, err
		}
		attempt = 0 // progress: plan the rest, if the budget cut it
	}
	return out, fmt.Errorf("counters table %s: %s %s: merges keep racing", t.Name, account, hour)
}

// applyPlan adds up a plan's stages and writes the sum under the plan's marker, then the
// account-hour's summary, then marks it done.
func (t *Table) applyPlan(ctx context.Context, g group, pk string, p mergePlan, stages map[string]map[string]types.AttributeValue, out *Flushed) error {
	merged := NewTally()
	for _, sk := range p.stages {
		if _, ok := stages[sk]; !ok {
			return fmt.Errorf("counters table %s: plan %s / %s: stage %s missing", t.Name, pk, p.sk, sk)
		}
		got, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(t.Name), Key: itemKey(pk, sk), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("counters table %s: read stage %s / %s: %w", t.Name, pk, sk, err)
		}
		blob, ok := got.Item["t"].(*types.AttributeValueMemberB)
		if !ok {
			return fmt.Errorf("counters table %s: stage %s / %s has no counts", t.Name, pk, sk)
		}
		v, _ := strconv.Atoi(numStr(got.Item, "v"))
		if err := readStaged(merged, g, blob.Value, v); err != nil {
			return err
		}
	}
	h := sha256.Sum256([]byte(pk + "\x00" + p.sk))
	writes, _ := plan(merged, planCounts)
	applied, err := t.applyWrites(ctx, writes, nil, "m_"+base64.RawURLEncoding.EncodeToString(h[:15]))
	if err != nil {
		return err
	}
	if err := t.summarize(ctx, g, p.seq, merged); err != nil {
		return err
	}
	_, err = t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       itemKey(pk, p.sk),
		UpdateExpression:          aws.String("SET #d = :t"),
		ExpressionAttributeNames:  map[string]string{"#d": "done"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if err != nil {
		return fmt.Errorf("counters table %s: plan %s / %s done: %w", t.Name, pk, p.sk, err)
	}
	out.Plans++
	out.Stages += len(p.stages)
	out.Written += applied.Written
	return nil
}

// summarize writes the account-hour's summary once plan seq's counts are written. The first
// plan's counts are the whole account-hour: its summary is the merged tally's. A later plan
// (a late file, a merge cut by the budget) adds to counters already written: its summary is
// read back from the account-hour's counters (one strongly consistent Query), so it is exact
// and includes every plan up to seq.
func (t *Table) summarize(ctx context.Context, g group, seq int, merged *Tally) error {
	z := newSummarizer(g.account, g.hour, true)
	if seq <= 1 {
		for k, n := range merged.counters() {
			z.add(&k, n)
		}
	} else {
		rows, err := t.rows(ctx, &dynamodb.QueryInput{
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: activityPK(g.account, g.hour)}},
			ConsistentRead:            aws.Bool(true),
		})
		if err != nil {
			return err
		}
		for i := range rows {
			z.add(&rows[i].Key, rows[i].Count)
		}
	}
	return t.putSummary(ctx, z.summary(), seq)
}

// queryAll reads a partition to its end, strongly consistent (a plan another flush just wrote
// must be seen).
// A projection leaves the stages' counts out: a merge reads those of its plan one at a time.
func (t *Table) queryAll(ctx context.Context, pk, projection string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	}
	if projection != "" {
		in.ProjectionExpression = aws.String(projection)
		in.ExpressionAttributeNames = map[string]string{"#pk": attrPK, "#sk": attrSK, "#n": "n", "#s": "stages", "#d": "done"}
	}
	p := dynamodb.NewQueryPaginator(t.Client, in)
	var out []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query counters table %s: %s: %w", t.Name, pk, err)
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

func str(it map[string]types.AttributeValue, name string) string {
	if s, ok := it[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func numStr(it map[string]types.AttributeValue, name string) string {
	if n, ok := it[name].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

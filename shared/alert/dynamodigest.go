package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// This file is the DynamoDBLedger's side of DigestLedger: the due buckets ("due#…" items) a
// fold records and the flush reads, and the flush's claim on a flood's digest (x_* attributes
// of the flood item), decided by conditional writes like every other claim.

// maxBatchGet is DynamoDB's limit of keys per BatchGetItem.
const maxBatchGet = 100

// floodMetaJSON is the "meta" attribute of a flood item: its last folded alert's identity.
type floodMetaJSON struct {
	Kind      string    `json:"kind"`
	Severity  Severity  `json:"severity"`
	Title     string    `json:"title,omitempty"`
	Account   string    `json:"account,omitempty"`
	Region    string    `json:"region,omitempty"`
	Principal string    `json:"principal,omitempty"`
	User      string    `json:"user,omitempty"`
	Outcome   string    `json:"outcome,omitempty"`
	Cloud     string    `json:"cloud,omitempty"`
	SourceIP  string    `json:"source_ip,omitempty"`
	EventName string    `json:"event_name,omitempty"`
	EventTime time.Time `json:"event_time"`
}

func encodeMeta(a *Alert) string {
	m := floodMeta(a)
	b, _ := json.Marshal(floodMetaJSON{Kind: m.Kind, Severity: m.Severity, Title: m.Title, Account: m.Account,
		Region: m.Region, Principal: m.Principal, User: m.User, Outcome: m.Outcome, Cloud: m.Cloud,
		SourceIP: m.SourceIP, EventName: m.EventName, EventTime: m.EventTime.UTC()})
	return string(b)
}

// decodeMeta reads a flood item's meta; an item without it (written before digests were
// flushed) still names its kind and account.
func decodeMeta(item map[string]types.AttributeValue) Alert {
	var m floodMetaJSON
	if s, ok := item["meta"].(*types.AttributeValueMemberS); ok {
		_ = json.Unmarshal([]byte(s.Value), &m)
	}
	if m.Kind == "" {
		m.Kind, m.Account, m.Severity = strAttr(item, "kind"), strAttr(item, "account"), High
	}
	return Alert{Kind: m.Kind, Severity: m.Severity, Title: m.Title, Account: m.Account, Region: m.Region,
		Principal: m.Principal, User: m.User, Outcome: m.Outcome, Cloud: m.Cloud,
		SourceIP: m.SourceIP, EventName: m.EventName, EventTime: m.EventTime}
}

func strAttr(item map[string]types.AttributeValue, name string) string {
	s, _ := item[name].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// recordDue files a folding flood's window under the due bucket of its end, once per window
// (due_win remembers it). A failure fails the folded alert's claim, so its retry records it.
func (l *DynamoDBLedger) recordDue(ctx context.Context, a *Alert, flood map[string]types.AttributeValue) error {
	win := int64(intAttr(flood, "win_start"))
	if _, recorded := flood["due_win"]; recorded && int64(intAttr(flood, "due_win")) == win {
		return nil
	}
	end := time.UnixMilli(win).Add(l.Options.Window)
	if err := l.addDue(ctx, digestBucket(end), floodKey(a), win); err != nil {
		return err
	}
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(floodKey(a))},
		UpdateExpression:          aws.String("SET due_win = :win"),
		ConditionExpression:       aws.String("win_start = :win"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":win": num(win)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("mark digest of alert %s due: %w", a.Kind, err)
	}
	return nil
}

// addDue adds a flood's window to a due bucket (a set: adding twice is adding once).
func (l *DynamoDBLedger) addDue(ctx context.Context, bucket time.Time, flood string, win int64) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(l.Table),
		Key:              map[string]types.AttributeValue{"pk": str(dueKey(bucket))},
		UpdateExpression: aws.String("SET expires_at = :exp ADD floods :m"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":m":   &types.AttributeValueMemberSS{Value: []string{dueMember(flood, win)}},
			":exp": num(bucket.Add(DigestHorizon + time.Hour).Unix()),
		},
	})
	if err != nil {
		return fmt.Errorf("record flood digest due at %s: %w", bucket.Format(time.RFC3339), err)
	}
	return nil
}

// dropDue removes a settled entry from its bucket.
func (l *DynamoDBLedger) dropDue(ctx context.Context, d DueDigest) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(l.Table),
		Key:              map[string]types.AttributeValue{"pk": str(dueKey(d.Bucket))},
		UpdateExpression: aws.String("DELETE floods :m"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":m": &types.AttributeValueMemberSS{Value: []string{dueMember(d.Flood, d.Win)}},
		},
	})
	if err != nil {
		return fmt.Errorf("drop settled digest entry of %s: %w", d.Flood, err)
	}
	return nil
}

// DueDigests implements DigestLedger: one BatchGetItem per 100 buckets of DigestHorizon
// (three for 24 hours of 5-minute buckets), however many floods there are.
func (l *DynamoDBLedger) DueDigests(ctx context.Context, now time.Time) ([]DueDigest, error) {
	buckets := map[string]time.Time{}
	var keys []map[string]types.AttributeValue
	for b := digestBucket(now.Add(-DigestHorizon)); !b.After(now); b = b.Add(DigestBucket) {
		buckets[dueKey(b)] = b
		keys = append(keys, map[string]types.AttributeValue{"pk": str(dueKey(b))})
	}
	var out []DueDigest
	for len(keys) > 0 {
		n := min(len(keys), maxBatchGet)
		pending := keys[:n]
		keys = keys[n:]
		for round := 0; len(pending) > 0; round++ {
			if round == maxClaimRounds {
				return out, fmt.Errorf("read due digests: %d buckets still unprocessed after %d attempts", len(pending), round)
			}
			if round > 0 {
				select {
				case <-ctx.Done():
					return out, ctx.Err()
				case <-time.After(time.Duration(round) * 50 * time.Millisecond):
				}
			}
			res, err := l.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{l.Table: {
					Keys: pending, ProjectionExpression: aws.String("pk, floods"), ConsistentRead: aws.Bool(true),
				}},
			})
			if err != nil {
				return out, fmt.Errorf("read due digests: %w", err)
			}
			for _, item := range res.Responses[l.Table] {
				b := buckets[strAttr(item, "pk")]
				for _, m := range setAttr(item, "floods") {
					if d, ok := parseDueMember(b, m); ok {
						out = append(out, d)
					}
				}
			}
			pending = res.UnprocessedKeys[l.Table].Keys
		}
	}
	return out, nil
}

// ClaimDigest implements DigestLedger. The claim moves the flood's folded alerts to x_* on
// the condition that its window ended, it has folded alerts, no flush holds a digest, and no
// opener holds one (d_folded): the alert that opens the next window moves the same alerts to
// its d_*, so only one of the two takes them. A digest whose flush failed (lease lapsed) is
// taken over as it is.
//
// An opener's digest is its own while its window is open: the opener may be alive and about
// to publish it, so the flush leaves the flood (the due entry stays, see pending) and looks
// again next time. An opener still there once its window ended never finished (an opening is
// committed or released within its invocation): its invocation died and no redelivery took
// the opening over. If no alert of the flood comes to open the next window (which would carry
// the digest: restoreDigest), the flush gives the digest back to folded the same way,
// conditioned on the same opener and window, and decides again, so the claim takes it with the
// window's own folds and the flush sends it. Before, the due entry of the window the opener
// took over was dropped, the opener's window had none unless something folded into it, and a
// flood that stopped there was never reported. As with restoreDigest, a digest the dead
// invocation did publish is reported again, at most once more; the opener redelivered after
// that finds no opener and carries nothing.
func (l *DynamoDBLedger) ClaimDigest(ctx context.Context, d DueDigest, now, leaseUntil time.Time) (*Digest, error) {
	key := map[string]types.AttributeValue{"pk": str(d.Flood)}
	token := newToken()
	for round := 0; round < maxClaimRounds; round++ {
		out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression: aws.String("SET x_token = :token, x_lease = :lease, x_folded = folded, x_first = if_not_exists(first_folded, :zero)," +
				" x_addrs = if_not_exists(addrs, :none), x_pfxs = if_not_exists(pfxs, :none) REMOVE folded, first_folded, addrs, pfxs"),
			ConditionExpression: aws.String("folded > :zero AND win_start <= :cutoff AND attribute_not_exists(x_token) AND NOT d_folded > :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":token": str(token), ":lease": num(leaseUntil.UnixMilli()), ":zero": num(0), ":none": none,
				":cutoff": num(now.Add(-l.Options.Window).UnixMilli()),
			},
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return l.digest(d, out.Attributes, now), nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return nil, fmt.Errorf("claim digest of %s: %w", d.Flood, err)
		}
		item := ccf.Item
		if item == nil { // older DynamoDB-compatible servers do not return the item: read it
			got, err := l.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.Table), Key: key, ConsistentRead: aws.Bool(true)})
			if err != nil {
				return nil, fmt.Errorf("read flood %s: %w", d.Flood, err)
			}
			item = got.Item
		}
		_, held := item["x_token"]
		switch {
		case item == nil:
			return nil, l.dropDue(ctx, d)
		case held && int64(intAttr(item, "x_lease")) > now.UnixMilli():
			return nil, nil // another flush holds it
		case held: // that flush failed or died: take its digest over
			out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(l.Table), Key: key,
				UpdateExpression:    aws.String("SET x_token = :token, x_lease = :lease"),
				ConditionExpression: aws.String("x_token = :old AND x_lease <= :now"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":token": str(token), ":lease": num(leaseUntil.UnixMilli()), ":old": item["x_token"], ":now": num(now.UnixMilli()),
				},
				ReturnValues: types.ReturnValueAllNew,
			})
			if err == nil {
				return l.digest(d, out.Attributes, now), nil
			}
			if !isConditionFailed(err) {
				return nil, fmt.Errorf("take over digest of %s: %w", d.Flood, err)
			}
		case stranded(item) && l.lapsed(item, now): // its opener died: the digest goes back to folded
			if err := l.restoreDigest(ctx, key, item); err != nil {
				return nil, err
			}
		case !l.pending(item, d, now):
			return nil, l.dropDue(ctx, d)
		case !l.lapsed(item, now):
			return nil, nil // its window is still open (its opener may be publishing its digest)
		}
		// The flood changed between the writes: decide again.
	}
	return nil, fmt.Errorf("claim digest of %s: state kept changing under %d attempts", d.Flood, maxClaimRounds)
}

func (l *DynamoDBLedger) digest(d DueDigest, item map[string]types.AttributeValue, now time.Time) *Digest {
	a := digestAlert(decodeMeta(item), intAttr(item, "x_folded"), time.UnixMilli(int64(intAttr(item, "x_first"))),
		summarizeAddrs(setAttr(item, "x_addrs"), setAttr(item, "x_pfxs")))
	return &Digest{Alert: a, Due: d, Token: strAttr(item, "x_token"), Now: now}
}

// lapsed says the flood item's window has ended.
func (l *DynamoDBLedger) lapsed(item map[string]types.AttributeValue, now time.Time) bool {
	return int64(intAttr(item, "win_start")) <= now.Add(-l.Options.Window).UnixMilli()
}

// stranded says an opener holds a digest (d_folded): its own while its window is open, a dead
// invocation's once the window ended.
func stranded(item map[string]types.AttributeValue) bool {
	return strAttr(item, "opener") != "" && intAttr(item, "d_folded") > 0
}

// pending says whether d's bucket entry must stay (see MemoryLedger.pending): a flush holds
// the digest, the flood has folded alerts of an ended window, d's window is still open, or an
// opener holds a digest (until it commits it, or the flush takes it back after its window).
func (l *DynamoDBLedger) pending(item map[string]types.AttributeValue, d DueDigest, now time.Time) bool {
	_, held := item["x_token"]
	lapsed := l.lapsed(item, now)
	return held || stranded(item) || (intAttr(item, "folded") > 0 && lapsed) || (!lapsed && int64(intAttr(item, "win_start")) == d.Win)
}

// CommitDigest implements DigestLedger.
func (l *DynamoDBLedger) CommitDigest(ctx context.Context, d *Digest) error {
	out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(d.Due.Flood)},
		UpdateExpression:          aws.String("REMOVE x_token, x_lease, x_folded, x_first, x_addrs, x_pfxs"),
		ConditionExpression:       aws.String("x_token = :token"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(d.Token)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	switch {
	case isConditionFailed(err):
		return nil // our lease lapsed and another flush took the digest over
	case err != nil:
		return fmt.Errorf("mark digest of %s sent: %w", d.Due.Flood, err)
	case !l.pending(out.Attributes, d.Due, d.Now):
		return l.dropDue(ctx, d.Due)
	}
	return nil
}

// ReleaseDigest implements DigestLedger: the claim's lease ends now, so the next flush takes
// the digest over.
func (l *DynamoDBLedger) ReleaseDigest(ctx context.Context, d *Digest) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(d.Due.Flood)},
		UpdateExpression:          aws.String("SET x_lease = :zero"),
		ConditionExpression:       aws.String("x_token = :token"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(d.Token), ":zero": num(0)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release digest of %s: %w", d.Due.Flood, err)
	}
	return nil
}

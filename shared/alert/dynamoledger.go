package alert

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the part of the DynamoDB client the ledger uses.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// DynamoDBLedger keeps the alert state in the AlertStateTable of template.yaml (key "pk",
// TTL attribute "expires_at"), deciding every claim with a conditional write, so any number of
// concurrent invocations agree on who sends.
//
// Items:
//
//	ev#<kind>#<eventID>  status claimed|done, token, lease_until: one per event and alert kind
//	fp#<fingerprint>     status claimed|sent|released, token, lease_until, last_sent,
//	                     suppressed (held back since last_sent), total, kind, account
//	fl#<flood key>       win_start, opener (token), sent (in the window), folded,
//	                     first_folded, addrs and pfxs (string sets, bounded), kind, account;
//	                     d_folded, d_first, d_addrs, d_pfxs: the digest the opener is sending;
//	                     meta (JSON): the last folded alert's identity, for a flushed digest;
//	                     due_win: the window whose due entry is recorded; x_token, x_lease,
//	                     x_folded, x_first, x_addrs, x_pfxs, x_meta: the digest a flush holds;
//	                     folds, folds_old (string sets, bounded): the alerts folded lately
//	                     (foldID), so a fold retried after it landed is not counted again
//	due#<YYYY-MM-DDTHH:MM> floods (string set of "<flood key>@<window start ms>"): the floods
//	                     whose window ends in these 5 minutes (DigestBucket), for the flush
type DynamoDBLedger struct {
	Client  DynamoDBAPI
	Table   string
	Options LedgerOptions
}

// maxClaimRounds bounds the claim/suppress race loop; each lost round means another writer
// changed the item's state in between, which cannot happen more than a few times.
const maxClaimRounds = 8

// Claim implements Ledger.
func (l *DynamoDBLedger) Claim(ctx context.Context, a *Alert, now, leaseUntil time.Time) (Claim, error) {
	c := Claim{Token: newToken(), Now: now}
	if a.EventID != "" {
		action, err := l.claimEvent(ctx, a, c.Token, now, leaseUntil)
		if err != nil || action != Send {
			c.Action = action
			return c, err
		}
	}
	for round := 0; round < maxClaimRounds; round++ {
		out, err := l.claimFingerprint(ctx, a, c.Token, now, leaseUntil)
		if err == nil {
			admitted, err := l.admit(ctx, a, &c, now)
			if err != nil {
				return c, errors.Join(err, l.unclaimFingerprint(ctx, a, c.Token), l.undoEvent(ctx, a, c, nil))
			}
			if !admitted {
				c.Action, c.Fold, c.Folded = Suppress, true, 1
				if err := l.unclaimFingerprint(ctx, a, c.Token); err != nil {
					return c, l.undoEvent(ctx, a, c, err) // the retry finds its fold (foldID): counted once
				}
				if a.EventID != "" {
					if err := l.finishEvent(ctx, a, c.Token); err != nil {
						return c, fmt.Errorf("mark folded alert %s done: %w", a.Kind, err)
					}
				}
				return c, nil
			}
			c.Action = Send
			c.Suppressed = intAttr(out.Attributes, "suppressed")
			if ms := intAttr(out.Attributes, "last_sent"); ms > 0 {
				c.Since = time.UnixMilli(int64(ms)).UTC()
			}
			return c, nil
		}
		if !isConditionFailed(err) {
			return c, l.undoEvent(ctx, a, c, fmt.Errorf("claim alert %s: %w", a.Kind, err))
		}
		err = l.suppress(ctx, a, now)
		if err == nil {
			c.Action = Suppress
			if a.EventID != "" {
				if err := l.finishEvent(ctx, a, c.Token); err != nil {
					return c, fmt.Errorf("mark suppressed alert %s done: %w", a.Kind, err)
				}
			}
			return c, nil
		}
		if !isConditionFailed(err) {
			return c, l.undoEvent(ctx, a, c, fmt.Errorf("suppress alert %s: %w", a.Kind, err))
		}
	}
	return c, l.undoEvent(ctx, a, c, fmt.Errorf("claim alert %s: state kept changing under %d attempts", a.Kind, maxClaimRounds))
}

// claimEvent records that this invocation handles the event's alert of this kind. When the
// event is claimed already, the old item says whether it is done (a redelivery) or held by a
// live invocation (in flight).
func (l *DynamoDBLedger) claimEvent(ctx context.Context, a *Alert, token string, now, leaseUntil time.Time) (Action, error) {
	for round := 0; round < maxClaimRounds; round++ {
		_, err := l.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(l.Table),
			Item: map[string]types.AttributeValue{
				"pk":          str(eventKey(a)),
				"status":      str("claimed"),
				"token":       str(token),
				"lease_until": num(leaseUntil.UnixMilli()),
				"expires_at":  num(now.Add(l.Options.DedupeFor).Unix()),
			},
			ConditionExpression:                 aws.String("attribute_not_exists(pk) OR (#s = :claimed AND lease_until <= :now)"),
			ExpressionAttributeNames:            map[string]string{"#s": "status"},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":claimed": str("claimed"), ":now": num(now.UnixMilli())},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return Send, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return Send, fmt.Errorf("claim event %s: %w", eventKey(a), err)
		}
		old := ccf.Item
		if old == nil { // older DynamoDB-compatible servers do not return the item: read it
			out, err := l.Client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String(l.Table), Key: map[string]types.AttributeValue{"pk": str(eventKey(a))}, ConsistentRead: aws.Bool(true),
			})
			if err != nil {
				return Send, fmt.Errorf("read event claim %s: %w", eventKey(a), err)
			}
			old = out.Item
		}
		switch s, _ := old["status"].(*types.AttributeValueMemberS); {
		case old == nil:
			continue // released in between: claim again
		case s != nil && s.Value == "done":
			return Duplicate, nil
		case int64(intAttr(old, "lease_until")) > now.UnixMilli():
			return InFlight, nil
		}
		// The lease lapsed between the write and the read: claim again.
	}
	return Send, fmt.Errorf("claim event %s: state kept changing under %d attempts", eventKey(a), maxClaimRounds)
}

func (l *DynamoDBLedger) claimFingerprint(ctx context.Context, a *Alert, token string, now, leaseUntil time.Time) (*dynamodb.UpdateItemOutput, error) {
	return l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(l.Table),
		Key:              map[string]types.AttributeValue{"pk": str(fingerprintKey(a))},
		UpdateExpression: aws.String("SET #s = :claimed, #t = :token, lease_until = :lease, kind = :kind, account = :account, expires_at = :exp ADD #total :one"),
		ConditionExpression: aws.String("attribute_not_exists(pk) OR #s = :released" +
			" OR (#s = :sent AND last_sent <= :cutoff) OR (#s = :claimed AND lease_until <= :now)"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#t": "token", "#total": "total"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":claimed": str("claimed"), ":released": str("released"), ":sent": str("sent"),
			":token": str(token), ":lease": num(leaseUntil.UnixMilli()), ":now": num(now.UnixMilli()),
			":cutoff": num(now.Add(-l.Options.Window).UnixMilli()), ":one": num(1),
			":kind": str(a.Kind), ":account": str(orDash(a.Account)), ":exp": num(l.fingerprintExpiry(now)),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
}

func (l *DynamoDBLedger) suppress(ctx context.Context, a *Alert, now time.Time) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.Table),
		Key:                      map[string]types.AttributeValue{"pk": str(fingerprintKey(a))},
		UpdateExpression:         aws.String("SET expires_at = :exp ADD suppressed :one, #total :one"),
		ConditionExpression:      aws.String("(#s = :sent AND last_sent > :cutoff) OR (#s = :claimed AND lease_until > :now)"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#total": "total"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": str("sent"), ":claimed": str("claimed"), ":one": num(1),
			":cutoff": num(now.Add(-l.Options.Window).UnixMilli()), ":now": num(now.UnixMilli()),
			":exp": num(l.fingerprintExpiry(now)),
		},
	})
	return err
}

// Commit implements Ledger: the fingerprint is sent as of the claim, the reported suppressed
// count is subtracted (repeats counted meanwhile stay for the next alert), the event is done.
// The two writes are independent, so they go out together.
func (l *DynamoDBLedger) Commit(ctx context.Context, a *Alert, c Claim) error {
	eventDone := make(chan error, 1)
	go func() {
		if a.EventID == "" {
			eventDone <- nil
			return
		}
		if err := l.finishEvent(ctx, a, c.Token); err != nil {
			eventDone <- fmt.Errorf("mark event of alert %s done: %w", a.Kind, err)
			return
		}
		eventDone <- nil
	}()
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.Table),
		Key:                      map[string]types.AttributeValue{"pk": str(fingerprintKey(a))},
		UpdateExpression:         aws.String("SET #s = :sent, last_sent = :now ADD suppressed :minus"),
		ConditionExpression:      aws.String("#t = :token"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#t": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": str("sent"), ":now": num(c.Now.UnixMilli()), ":minus": num(int64(-c.Suppressed)), ":token": str(c.Token),
		},
	})
	if err != nil && !isConditionFailed(err) {
		err = fmt.Errorf("mark alert %s sent: %w", a.Kind, err)
	} else {
		err = nil
	}
	return errors.Join(err, l.commitFlood(ctx, a, c), <-eventDone)
}

// Release implements Ledger: the fingerprint and the event are free again for the retry.
func (l *DynamoDBLedger) Release(ctx context.Context, a *Alert, c Claim) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(fingerprintKey(a))},
		UpdateExpression:          aws.String("SET #s = :released ADD #total :minus"),
		ConditionExpression:       aws.String("#t = :token"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#t": "token", "#total": "total"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":released": str("released"), ":token": str(c.Token), ":minus": num(-1)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release alert %s: %w", a.Kind, err)
	}
	if err := l.releaseFlood(ctx, a, c); err != nil {
		return l.undoEvent(ctx, a, c, err)
	}
	return l.undoEvent(ctx, a, c, nil)
}

// undoEvent deletes this invocation's event claim so a retry can claim it, and returns cause.
func (l *DynamoDBLedger) undoEvent(ctx context.Context, a *Alert, c Claim, cause error) error {
	if a.EventID == "" {
		return cause
	}
	_, err := l.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(eventKey(a))},
		ConditionExpression:       aws.String("#t = :token"),
		ExpressionAttributeNames:  map[string]string{"#t": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(c.Token)},
	})
	if err != nil && !isConditionFailed(err) {
		err = fmt.Errorf("release event claim %s: %w", eventKey(a), err)
		if cause == nil {
			return err
		}
		return errors.Join(cause, err) // the claim lapses with its lease; the retry takes it over
	}
	return cause
}

func (l *DynamoDBLedger) finishEvent(ctx context.Context, a *Alert, token string) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(eventKey(a))},
		UpdateExpression:          aws.String("SET #s = :done"),
		ConditionExpression:       aws.String("#t = :token"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#t": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": str("done"), ":token": str(token)},
	})
	if isConditionFailed(err) {
		return nil // our lease lapsed and another invocation took the event over
	}
	return err
}

// fingerprintExpiry keeps a fingerprint a day past its window, so counts survive quiet spells.
func (l *DynamoDBLedger) fingerprintExpiry(now time.Time) int64 {
	return now.Add(l.Options.Window + 24*time.Hour).Unix()
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func intAttr(item map[string]types.AttributeValue, name string) int {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, _ := strconv.Atoi(n.Value)
	return v
}

// unclaimFingerprint hands back a fingerprint claimed for an alert flood control then folded:
// the finding was not sent, so it stays claimable.
func (l *DynamoDBLedger) unclaimFingerprint(ctx context.Context, a *Alert, token string) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(fingerprintKey(a))},
		UpdateExpression:          aws.String("SET #s = :released"),
		ConditionExpression:       aws.String("#t = :token"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#t": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":released": str("released"), ":token": str(token)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("hand back folded alert %s: %w", a.Kind, err)
	}
	return nil
}

// none is the placeholder of an empty address set: DynamoDB has no empty sets.
var none = &types.AttributeValueMemberSS{Value: []string{"-"}}

// admit applies flood control (see MemoryLedger.admit) with conditional writes on the flood
// item: open the window (moving the last window's digest to d_* for this claim), count the
// alert in it, or fold it. Each write's condition says which state it applies to, so
// concurrent invocations agree; a lost race tries the next state.
//
// Every write is also conditioned on the alert not being among the flood's recent folds
// (foldID in folds or folds_old): a fold the SDK retried after DynamoDB had applied it, or an
// alert redelivered after its fold landed but before its claim was recorded (its event's claim
// undone on a later error), finds its fold and is folded once, not counted again nor sent.
func (l *DynamoDBLedger) admit(ctx context.Context, a *Alert, c *Claim, now time.Time) (bool, error) {
	limit := l.Options.floodCap()
	if limit == 0 {
		return true, nil
	}
	key := map[string]types.AttributeValue{"pk": str(floodKey(a))}
	cutoff, exp := num(now.Add(-l.Options.Window).UnixMilli()), num(l.fingerprintExpiry(now))
	fid := foldID(a, c.Token)
	for round := 0; round < maxClaimRounds; round++ {
		out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression: aws.String("SET win_start = :now, opener = :token, sent = :one, kind = :kind, account = :account, expires_at = :exp," +
				" d_folded = if_not_exists(folded, :zero), d_first = if_not_exists(first_folded, :zero)," +
				" d_addrs = if_not_exists(addrs, :none), d_pfxs = if_not_exists(pfxs, :none)" +
				" REMOVE folded, first_folded, addrs, pfxs"),
			ConditionExpression: aws.String("(attribute_not_exists(pk) OR win_start <= :cutoff)" + notFolded),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": num(now.UnixMilli()), ":token": str(c.Token), ":one": num(1), ":zero": num(0), ":none": none,
				":kind": str(a.Kind), ":account": str(orDash(a.Account)), ":exp": exp, ":cutoff": cutoff, ":fid": str(fid),
			},
			ReturnValues: types.ReturnValueAllNew,
		})
		if err == nil {
			c.floodOpened, c.floodWin = true, now
			if n := intAttr(out.Attributes, "d_folded"); n > 0 {
				c.Folded = n
				c.FoldedSince = time.UnixMilli(int64(intAttr(out.Attributes, "d_first"))).UTC()
				c.FoldedFrom = summarizeAddrs(setAttr(out.Attributes, "d_addrs"), setAttr(out.Attributes, "d_pfxs"))
			}
			if limit == 1 {
				c.FoldingUntil = now.Add(l.Options.Window)
			}
			return true, nil
		}
		if !isConditionFailed(err) {
			return false, fmt.Errorf("open flood window of alert %s: %w", a.Kind, err)
		}
		out, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression:    aws.String("SET expires_at = :exp ADD sent :one"),
			ConditionExpression: aws.String("win_start > :cutoff AND sent < :cap" + notFolded),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": num(1), ":exp": exp, ":cutoff": cutoff, ":cap": num(int64(limit)), ":fid": str(fid),
			},
			ReturnValues: types.ReturnValueAllNew,
		})
		if err == nil {
			win := time.UnixMilli(int64(intAttr(out.Attributes, "win_start")))
			c.floodAdmitted, c.floodWin = true, win
			if intAttr(out.Attributes, "sent") == limit {
				c.FoldingUntil = win.Add(l.Options.Window).UTC()
			}
			return true, nil
		}
		if !isConditionFailed(err) {
			return false, fmt.Errorf("count alert %s in its flood window: %w", a.Kind, err)
		}
		flood, res, err := l.fold(ctx, a, key, fid, now, limit)
		switch {
		case err != nil:
			return false, err
		case res == foldedNow || (res == foldedBefore && intAttr(flood, "folded") > 0):
			// A retry files the due entry and the source again (both sets: harmless), as its
			// first attempt may have failed before them. Should the flood have opened a new
			// window meanwhile that folds too, the source lands in that window's summary.
			return false, errors.Join(l.recordDue(ctx, a, flood), l.rememberSource(ctx, a, key))
		case res == foldedBefore:
			return false, nil // its window's folds went to a digest already: nothing to file
		}
		// The window changed between the writes (it lapsed, or a claim was released): again.
	}
	return false, fmt.Errorf("flood control of alert %s: state kept changing under %d attempts", a.Kind, maxClaimRounds)
}

// maxFoldIDs bounds each of a flood's two sets of recent fold IDs (folds, folds_old): the
// flood item remembers the last 50 to 100 folds, 1.2 KB at most (12 bytes an ID), so a
// fold's write stays within a WCU or two more however long the flood. A retry that comes after
// 50 more folds of its flood (an SDK retry comes within seconds; a redelivery within minutes)
// is counted again: bounded memory trades that for a small item.
//
// Why a set on the flood item and not a per-alert marker item written with the fold in one
// TransactWriteItems (exact for as long as the marker lives): a transaction costs twice the
// write units of both items on every fold of a flood, the hottest write of the ledger, and
// dynalite, which the ledger is tested against, has no transactions. The set keeps the fold a
// single conditional UpdateItem, which is exactly-once for every retry inside its bound.
const maxFoldIDs = 50

// notFolded conditions a flood write on the alert (:fid) not being among the recent folds
// (contains on a missing set is false).
const notFolded = " AND NOT contains(folds, :fid) AND NOT contains(folds_old, :fid)"

// foldID identifies one alert among its flood's recent folds: the event's finding (DedupeKey)
// when the alert has an event ID, so a redelivery of the event is recognized; else the claim's
// token, which the SDK's own retries of the write share. It is a 72-bit hash (12 characters),
// so the sets stay small; two alerts of one flood colliding among 100 is a 1e-18 chance.
func foldID(a *Alert, token string) string {
	id := "tok#" + token
	if a.EventID != "" {
		id = "ev#" + a.DedupeKey()
	}
	sum := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// foldResult is what fold did.
type foldResult int

const (
	foldChanged  foldResult = iota // not folded: the window is not capped (any more); decide again
	foldedNow                      // counted now
	foldedBefore                   // a retry of a fold that landed: counted before, not again
)

// fold counts the alert in its capped flood window once: it adds its foldID to the recent
// folds with the count. When the write's condition fails, the item says why: the alert was
// folded already (its retry: success, nothing counted again), the set of recent folds is full
// (it becomes folds_old and a new set starts with this fold, in one write), or the window
// changed. It returns the flood item as the fold left it (or as it is, for a retry), for
// recordDue.
func (l *DynamoDBLedger) fold(ctx context.Context, a *Alert, key map[string]types.AttributeValue, fid string, now time.Time, limit int) (map[string]types.AttributeValue, foldResult, error) {
	values := map[string]types.AttributeValue{
		":one": num(1), ":exp": num(l.fingerprintExpiry(now)), ":cutoff": num(now.Add(-l.Options.Window).UnixMilli()),
		":cap": num(int64(limit)), ":now": num(now.UnixMilli()), ":meta": str(encodeMeta(a)),
		":fid": str(fid), ":fids": &types.AttributeValueMemberSS{Value: []string{fid}},
		":maxids": num(maxFoldIDs),
	}
	out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: key,
		UpdateExpression: aws.String("SET expires_at = :exp, first_folded = if_not_exists(first_folded, :now), meta = :meta" +
			" ADD folded :one, folds :fids"),
		ConditionExpression:                 aws.String("win_start > :cutoff AND sent >= :cap AND (attribute_not_exists(folds) OR size(folds) < :maxids)" + notFolded),
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return out.Attributes, foldedNow, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, foldChanged, fmt.Errorf("fold alert %s: %w", a.Kind, err)
	}
	item := ccf.Item
	if item == nil { // older DynamoDB-compatible servers do not return the item: read it
		got, err := l.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.Table), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, foldChanged, fmt.Errorf("read flood of alert %s: %w", a.Kind, err)
		}
		item = got.Item
	}
	switch {
	case slices.Contains(setAttr(item, "folds"), fid) || slices.Contains(setAttr(item, "folds_old"), fid):
		return item, foldedBefore, nil // a ConditionalCheckFailed that means "done already"
	case len(setAttr(item, "folds")) < maxFoldIDs:
		return nil, foldChanged, nil // not a full set: the window changed
	}
	out, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: key,
		UpdateExpression: aws.String("SET expires_at = :exp, first_folded = if_not_exists(first_folded, :now), meta = :meta," +
			" folds_old = folds, folds = :fids ADD folded :one"),
		ConditionExpression:       aws.String("win_start > :cutoff AND sent >= :cap AND size(folds) >= :maxids" + notFolded),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	switch {
	case err == nil:
		return out.Attributes, foldedNow, nil
	case isConditionFailed(err):
		return nil, foldChanged, nil // the item changed meanwhile: decide again (a retry finds its fold then)
	}
	return nil, foldChanged, fmt.Errorf("fold alert %s: %w", a.Kind, err)
}

// rememberSource adds a folded alert's source to the flood's address sets, up to
// maxFoldedAddrs addresses (and two networks, all the summary needs), so the item stays small.
func (l *DynamoDBLedger) rememberSource(ctx context.Context, a *Alert, key map[string]types.AttributeValue) error {
	addr := foldedAddr(a.SourceIP)
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: key,
		UpdateExpression:    aws.String("ADD addrs :a, pfxs :p"),
		ConditionExpression: aws.String("attribute_not_exists(addrs) OR size(addrs) < :max OR contains(addrs, :addr)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":a": &types.AttributeValueMemberSS{Value: []string{addr}}, ":addr": str(addr),
			":p":   &types.AttributeValueMemberSS{Value: []string{addrPrefix(a.SourceIP)}},
			":max": num(maxFoldedAddrs),
		},
	})
	if isConditionFailed(err) { // the address set is full: the networks alone
		_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression:    aws.String("ADD pfxs :p"),
			ConditionExpression: aws.String("size(pfxs) < :two"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p": &types.AttributeValueMemberSS{Value: []string{addrPrefix(a.SourceIP)}}, ":two": num(2),
			},
		})
	}
	if err != nil && !isConditionFailed(err) {
		// The fold is counted; only where it came from is missing from the digest.
		return fmt.Errorf("remember source of folded alert %s: %w", a.Kind, err)
	}
	return nil
}

// commitFlood ends the opener's digest: it was sent.
func (l *DynamoDBLedger) commitFlood(ctx context.Context, a *Alert, c Claim) error {
	if !c.floodOpened {
		return nil
	}
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(floodKey(a))},
		UpdateExpression:          aws.String("REMOVE d_folded, d_first, d_addrs, d_pfxs, opener"),
		ConditionExpression:       aws.String("opener = :token"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(c.Token)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("mark digest of alert %s sent: %w", a.Kind, err)
	}
	return nil
}

// releaseFlood undoes a failed send's flood accounting: an admitted alert leaves the window's
// count; an opener gives its digest back and reopens the window for the retry, which reports it.
func (l *DynamoDBLedger) releaseFlood(ctx context.Context, a *Alert, c Claim) error {
	key := map[string]types.AttributeValue{"pk": str(floodKey(a))}
	win := num(c.floodWin.UnixMilli())
	var err error
	switch {
	case c.floodAdmitted:
		_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression:          aws.String("ADD sent :minus"),
			ConditionExpression:       aws.String("win_start = :win AND sent > :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": num(-1), ":win": win, ":zero": num(0)},
		})
	case c.floodOpened:
		values := map[string]types.AttributeValue{":token": str(c.Token), ":win": win, ":zero": num(0)}
		_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression: aws.String("SET folded = d_folded, first_folded = d_first, addrs = d_addrs, pfxs = d_pfxs, win_start = :zero, sent = :zero" +
				" REMOVE d_folded, d_first, d_addrs, d_pfxs, opener"),
			ConditionExpression:       aws.String("opener = :token AND win_start = :win AND attribute_not_exists(folded)"),
			ExpressionAttributeValues: values,
		})
		if isConditionFailed(err) { // alerts were folded meanwhile: add the digest's count to theirs
			_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(l.Table), Key: key,
				UpdateExpression: aws.String("SET folded = folded + d_folded, first_folded = d_first, win_start = :zero, sent = :zero" +
					" REMOVE d_folded, d_first, d_addrs, d_pfxs, opener"),
				ConditionExpression:       aws.String("opener = :token AND win_start = :win AND d_folded > :zero"),
				ExpressionAttributeValues: values,
			})
		}
		if err == nil { // due now, should no alert of the flood come to carry it
			err = l.addDue(ctx, digestBucket(c.Now), floodKey(a), 0)
		}
	}
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release flood count of alert %s: %w", a.Kind, err)
	}
	return nil
}

func setAttr(item map[string]types.AttributeValue, name string) []string {
	ss, ok := item[name].(*types.AttributeValueMemberSS)
	if !ok {
		return nil
	}
	return ss.Value
}

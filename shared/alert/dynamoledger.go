package alert

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
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
//	                     suppressed (held back since last_sent), total, kind, account;
//	                     claim_id: the alert (foldID) whose claim is counted in total;
//	                     sups, sups_old (string sets, bounded): the alerts suppressed lately
//	fl#<flood key>       win_start, opener (token), opener_id (its alert's foldID), sent (in
//	                     the window), folded, first_folded, addrs and pfxs (string sets,
//	                     bounded), kind, account;
//	                     d_folded, d_first, d_addrs, d_pfxs: the digest the opener is sending
//	                     (an opener still there after its window died: the next opening or
//	                     the flush gives its digest back, restoreDigest);
//	                     meta (JSON): the last folded alert's identity, for a flushed digest;
//	                     due_win: the window whose due entry is recorded; x_token, x_lease,
//	                     x_folded, x_first, x_addrs, x_pfxs, x_meta: the digest a flush holds;
//	                     folds, folds_old (string sets, bounded): the alerts folded lately;
//	                     sends, sends_old (string sets, bounded): the alerts counted in sent
//	due#<YYYY-MM-DDTHH:MM> floods (string set of "<flood key>@<window start ms>"): the floods
//	                     whose window ends in these 5 minutes (DigestBucket), for the flush
//
// Every write that counts (total, suppressed, sent, folded) or takes something over (a claim,
// a window's opening and its digest) is exactly-once per alert under a retry that comes after
// it landed: the SDK resending it after a lost reply, or Lambda redelivering the alert after
// the claim failed later. The write records the alert's ID (foldID: its event's finding, else
// its claim token) or its claim token on the item it changes and is conditioned on it not
// being there; the retry's ConditionalCheckFailed returns the item, which says the write was
// done and what it did. Each step stays one conditional UpdateItem; only a redelivery that
// finds a claim or an opening of its own alert makes one more, to take it over, and so does
// an opening that finds an unfinished one, to give its digest back (restoreDigest).
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
	fid := foldID(a, c.Token)
	for round := 0; round < maxClaimRounds; round++ {
		out, err := l.claimFingerprint(ctx, a, c.Token, fid, now, leaseUntil)
		if isConditionFailed(err) {
			var r reclaim
			out, r, err = l.reclaimFingerprint(ctx, a, c.Token, fid, err, leaseUntil)
			switch r {
			case reclaimSent: // this alert's send landed (a redelivery after its Commit failed in part)
				c.Action = Duplicate
				if a.EventID != "" {
					if err := l.finishEvent(ctx, a, c.Token); err != nil {
						return c, fmt.Errorf("mark sent alert %s done: %w", a.Kind, err)
					}
				}
				return c, nil
			case reclaimChanged:
				continue // never on to suppress: that would suppress this alert behind its own claim
			}
		}
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
		err = l.suppress(ctx, a, fid, now)
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
		case strAttr(old, "token") == token:
			// This claim's own PutItem, retried by the SDK after it landed: the claim is ours.
			// (Before, it was in flight to itself: the delivery failed and waited out the lease.)
			return Send, nil
		case int64(intAttr(old, "lease_until")) > now.UnixMilli():
			return InFlight, nil
		}
		// The lease lapsed between the write and the read: claim again.
	}
	return Send, fmt.Errorf("claim event %s: state kept changing under %d attempts", eventKey(a), maxClaimRounds)
}

// claimFingerprint claims the finding for this alert if it is claimable, counting the alert
// in total. The claim records the alert's ID (foldID) as claim_id, and is conditioned on it
// not being there: a claim that landed and is retried, by the SDK or by a redelivery of the
// alert, fails, and reclaimFingerprint sorts out what it finds, so the alert is counted once
// and never suppressed by its own claim.
func (l *DynamoDBLedger) claimFingerprint(ctx context.Context, a *Alert, token, fid string, now, leaseUntil time.Time) (*dynamodb.UpdateItemOutput, error) {
	return l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(l.Table),
		Key:              map[string]types.AttributeValue{"pk": str(fingerprintKey(a))},
		UpdateExpression: aws.String("SET #s = :claimed, #t = :token, claim_id = :id, lease_until = :lease, kind = :kind, account = :account, expires_at = :exp ADD #total :one"),
		ConditionExpression: aws.String("(attribute_not_exists(pk) OR #s = :released" +
			" OR (#s = :sent AND last_sent <= :cutoff) OR (#s = :claimed AND lease_until <= :now))" +
			" AND (attribute_not_exists(claim_id) OR claim_id <> :id)"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#t": "token", "#total": "total"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":claimed": str("claimed"), ":released": str("released"), ":sent": str("sent"),
			":token": str(token), ":lease": num(leaseUntil.UnixMilli()), ":now": num(now.UnixMilli()),
			":cutoff": num(now.Add(-l.Options.Window).UnixMilli()), ":one": num(1), ":id": str(fid),
			":kind": str(a.Kind), ":account": str(orDash(a.Account)), ":exp": num(l.fingerprintExpiry(now)),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
}

// reclaimFingerprint decides a fingerprint claim whose condition failed (failed) by the item
// it failed on:
//   - the claim is this one (its token): the SDK retried it after it landed; it stands. Before
//     this check the retry went on to suppress and the alert was lost: counted as suppressed
//     behind a claim nobody held;
//   - the claim is this alert's (claim_id), made by an earlier claim of it: a redelivery after
//     that claim landed but did not finish (the claim failed and handed the finding back or
//     could not, its alert was folded and redelivered, or its invocation died before Commit):
//     taken over, counted in total once;
//   - this alert's claim was sent: a redelivery after its Commit marked the finding sent but not
//     the event done; sent reports it (the alert is not counted as suppressed);
//   - else the finding is someone else's: failed is returned, and the alert is suppressed.
func (l *DynamoDBLedger) reclaimFingerprint(ctx context.Context, a *Alert, token, fid string, failed error, leaseUntil time.Time) (*dynamodb.UpdateItemOutput, reclaim, error) {
	key := map[string]types.AttributeValue{"pk": str(fingerprintKey(a))}
	item, err := l.failedOn(ctx, failed, key)
	if err != nil {
		return nil, reclaimOthers, fmt.Errorf("claim alert %s: %w", a.Kind, err)
	}
	status := strAttr(item, "status")
	switch {
	case status == "claimed" && strAttr(item, "token") == token:
		return &dynamodb.UpdateItemOutput{Attributes: item}, reclaimed, nil
	case item == nil || strAttr(item, "claim_id") != fid || item["token"] == nil:
		return nil, reclaimOthers, failed
	case status == "sent":
		return nil, reclaimSent, nil
	}
	out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       key,
		UpdateExpression:          aws.String("SET #s = :claimed, #t = :token, lease_until = :lease"),
		ConditionExpression:       aws.String("claim_id = :id AND #t = :old AND #s <> :sent"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#t": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":claimed": str("claimed"), ":token": str(token), ":lease": num(leaseUntil.UnixMilli()), ":id": str(fid), ":old": item["token"], ":sent": str("sent")},
		ReturnValues:              types.ReturnValueAllNew,
	})
	switch {
	case isConditionFailed(err):
		return nil, reclaimChanged, nil // it changed meanwhile (or this write's retry landed): again
	case err != nil:
		return nil, reclaimOthers, fmt.Errorf("take over claim of alert %s: %w", a.Kind, err)
	}
	return out, reclaimed, nil
}

// reclaim is what reclaimFingerprint found.
type reclaim int

const (
	reclaimOthers  reclaim = iota // the finding is another alert's: suppress this one
	reclaimed                     // the claim is this alert's (out)
	reclaimSent                   // this alert was sent
	reclaimChanged                // the item changed between the writes: claim again
)

// suppress counts the alert as a repeat of a finding sent inside the window (or being sent),
// once: its ID (foldID) goes into the fingerprint's recent suppressions with the counts, so a
// retry of a suppression that landed (the SDK's, or a redelivery after it landed and marking
// the event done failed) is not reported as one more repeat.
func (l *DynamoDBLedger) suppress(ctx context.Context, a *Alert, fid string, now time.Time) error {
	key := map[string]types.AttributeValue{"pk": str(fingerprintKey(a))}
	item, res, err := l.updateOnce(ctx, onceWrite{
		what: "suppress alert " + a.Kind, key: key, ids: supIDSets, id: fid,
		set:   "expires_at = :exp",
		add:   "suppressed :one, #total :one",
		cond:  "(#s = :sent AND last_sent > :cutoff) OR (#s = :claimed AND lease_until > :now)",
		names: map[string]string{"#s": "status", "#total": "total"},
		values: map[string]types.AttributeValue{
			":sent": str("sent"), ":claimed": str("claimed"), ":one": num(1),
			":cutoff": num(now.Add(-l.Options.Window).UnixMilli()), ":now": num(now.UnixMilli()),
			":exp": num(l.fingerprintExpiry(now)),
		},
	})
	switch {
	case err != nil:
		return err
	case res == onceNot:
		return &types.ConditionalCheckFailedException{Message: aws.String("not suppressible"), Item: item}
	}
	return nil
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
		ConditionExpression:      aws.String("#t = :token AND #s = :claimed"), // a retry that landed subtracts nothing more
		ExpressionAttributeNames: map[string]string{"#s": "status", "#t": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": str("sent"), ":now": num(c.Now.UnixMilli()), ":minus": num(int64(-c.Suppressed)), ":token": str(c.Token),
			":claimed": str("claimed"),
		},
	})
	if err != nil && !isConditionFailed(err) {
		err = fmt.Errorf("mark alert %s sent: %w", a.Kind, err)
	} else {
		err = nil
	}
	return errors.Join(err, l.commitFlood(ctx, a, c), <-eventDone)
}

// Release implements Ledger: the fingerprint and the event are free again for the retry. The
// alert leaves total with its claim_id, so its retry is counted afresh (not taken over).
func (l *DynamoDBLedger) Release(ctx context.Context, a *Alert, c Claim) error {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       map[string]types.AttributeValue{"pk": str(fingerprintKey(a))},
		UpdateExpression:          aws.String("SET #s = :released ADD #total :minus REMOVE claim_id"),
		ConditionExpression:       aws.String("#t = :token AND #s = :claimed"), // a retry that landed takes nothing more
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#t": "token", "#total": "total"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":released": str("released"), ":token": str(c.Token), ":minus": num(-1), ":claimed": str("claimed")},
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
// Each write is also exactly-once for the alert, so a write the SDK retried after DynamoDB
// had applied it, or an alert redelivered after a write landed but before its claim was
// recorded (its event's claim undone on a later error), finds what it did and goes on from
// there instead of doing it again:
//   - the opening records the alert's foldID as opener_id: a retry finds the window open with
//     itself as the opener and takes the opening (and the digest it moved to d_*) over, so the
//     digest is carried and committed, not stranded; and an opening never overwrites the
//     digest of an opener that did not finish (restoreDigest gives it back first);
//   - the count adds the foldID to the window's sends: a retry is admitted, not counted again
//     (which would reach the cap early and fold a later alert that should be sent) nor folded;
//   - the fold adds it to folds: a retry is folded once (every write but the opening is also
//     conditioned on the alert not being among the recent folds: notFolded).
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
			UpdateExpression: aws.String("SET win_start = :now, opener = :token, opener_id = :id, sent = :one, kind = :kind, account = :account, expires_at = :exp," +
				" d_folded = if_not_exists(folded, :zero), d_first = if_not_exists(first_folded, :zero)," +
				" d_addrs = if_not_exists(addrs, :none), d_pfxs = if_not_exists(pfxs, :none)" +
				" REMOVE folded, first_folded, addrs, pfxs, sends, sends_old"),
			ConditionExpression: aws.String("(attribute_not_exists(pk) OR win_start <= :cutoff) AND attribute_not_exists(opener)" + notFolded),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": num(now.UnixMilli()), ":token": str(c.Token), ":one": num(1), ":zero": num(0), ":none": none,
				":kind": str(a.Kind), ":account": str(orDash(a.Account)), ":exp": exp, ":cutoff": cutoff, ":id": str(fid),
			},
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			l.opened(c, out.Attributes, now, limit)
			return true, nil
		}
		flood, err := l.failedOn(ctx, err, key)
		if err != nil {
			return false, fmt.Errorf("open flood window of alert %s: %w", a.Kind, err)
		}
		opener := strAttr(flood, "opener")
		if opener != "" && int64(intAttr(flood, "win_start")) <= now.Add(-l.Options.Window).UnixMilli() {
			if err := l.restoreDigest(ctx, key, flood); err != nil {
				return false, err
			}
			continue // open it now, carrying that digest too
		}
		if opener != "" && strAttr(flood, "opener_id") == fid {
			// This alert opened the window and its digest is not committed: the SDK retried the
			// opening after it landed (the opener is this claim), or this is a redelivery after
			// the opening landed and the claim failed (an earlier claim's token): take it over.
			if opener != c.Token {
				out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName: aws.String(l.Table), Key: key,
					UpdateExpression:          aws.String("SET opener = :token"),
					ConditionExpression:       aws.String("opener = :old AND opener_id = :id"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(c.Token), ":old": str(opener), ":id": str(fid)},
					ReturnValues:              types.ReturnValueAllNew,
				})
				if isConditionFailed(err) {
					continue // it changed meanwhile (or this write's own retry landed): decide again
				}
				if err != nil {
					return false, fmt.Errorf("take over flood window opened by alert %s: %w", a.Kind, err)
				}
				flood = out.Attributes
			}
			l.opened(c, flood, time.UnixMilli(int64(intAttr(flood, "win_start"))).UTC(), limit)
			return true, nil
		}
		flood, res, err := l.updateOnce(ctx, onceWrite{
			what: "count alert " + a.Kind + " in its flood window", key: key, ids: sendIDSets, id: fid,
			set: "expires_at = :exp", add: "sent :one",
			cond:   "win_start > :cutoff AND sent < :cap" + notFolded,
			values: map[string]types.AttributeValue{":one": num(1), ":exp": exp, ":cutoff": cutoff, ":cap": num(int64(limit))},
		})
		if err != nil {
			return false, err
		}
		if res != onceNot { // counted now, or before by this alert's write that landed
			win := time.UnixMilli(int64(intAttr(flood, "win_start")))
			c.floodAdmitted, c.floodWin = true, win
			if intAttr(flood, "sent") == limit {
				c.FoldingUntil = win.Add(l.Options.Window).UTC()
			}
			return true, nil
		}
		flood, res, err = l.fold(ctx, a, key, fid, now, limit)
		switch {
		case err != nil:
			return false, err
		case res == onceNow || (res == onceBefore && intAttr(flood, "folded") > 0):
			// A retry files the due entry and the source again (both sets: harmless), as its
			// first attempt may have failed before them. Should the flood have opened a new
			// window meanwhile that folds too, the source lands in that window's summary.
			return false, errors.Join(l.recordDue(ctx, a, flood), l.rememberSource(ctx, a, key))
		case res == onceBefore:
			return false, nil // its window's folds went to a digest already: nothing to file
		}
		// The window changed between the writes (it lapsed, or a claim was released): again.
	}
	return false, fmt.Errorf("flood control of alert %s: state kept changing under %d attempts", a.Kind, maxClaimRounds)
}

// restoreDigest gives the digest of an opening whose claim never finished back to the flood,
// as its Release would have: flood is the item, its window ended with the opener still there
// (its invocation died after the opening, or its claim failed and the alert was not
// redelivered inside the window). The opening is conditioned on no opener being there, so it
// never overwrites such a digest (the folded count was lost so); the next opening carries it
// with the window's own folds. Its first folded alert stays the digest's; its sources are
// kept when the window folded none. A digest the dead invocation did publish is reported again
// (never lost, at most once more). A failed condition means the item changed: decide again.
// The flush (ClaimDigest) gives it back the same way when no alert of the flood comes to open
// the next window; the two writes' conditions let only one of them land.
func (l *DynamoDBLedger) restoreDigest(ctx context.Context, key, flood map[string]types.AttributeValue) error {
	cond, values := "opener = :old AND win_start = :win", map[string]types.AttributeValue{":old": flood["opener"], ":win": flood["win_start"]}
	if flood["win_start"] == nil { // not written by this ledger; still, never block the openings
		cond = "opener = :old AND attribute_not_exists(win_start)"
		delete(values, ":win")
	}
	update := "SET folded = folded + d_folded, first_folded = d_first"
	switch {
	case intAttr(flood, "d_folded") <= 0:
		update = ""
	case flood["folded"] == nil:
		cond += " AND attribute_not_exists(folded)"
		update = "SET folded = d_folded, first_folded = d_first, addrs = d_addrs, pfxs = d_pfxs"
	default:
		cond += " AND attribute_exists(folded)"
	}
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: key,
		UpdateExpression:          aws.String(update + " REMOVE d_folded, d_first, d_addrs, d_pfxs, opener, opener_id"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: values,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("restore the unfinished digest of flood %s: %w", strAttr(key, "pk"), err)
	}
	return nil
}

// opened records in c that it opened the flood window starting at win (flood is the item as
// the opening left it): the digest it carries, and whether the window is capped already.
func (l *DynamoDBLedger) opened(c *Claim, flood map[string]types.AttributeValue, win time.Time, limit int) {
	c.floodOpened, c.floodWin = true, win
	if n := intAttr(flood, "d_folded"); n > 0 {
		c.Folded = n
		c.FoldedSince = time.UnixMilli(int64(intAttr(flood, "d_first"))).UTC()
		c.FoldedFrom = summarizeAddrs(setAttr(flood, "d_addrs"), setAttr(flood, "d_pfxs"))
	}
	if limit == 1 {
		c.FoldingUntil = win.Add(l.Options.Window)
	}
}

// maxFoldIDs bounds a flood item's sets of recent write IDs (idSets: folds and folds_old,
// sends and sends_old): the item remembers the last 50 to 100 IDs of each, 1.2 KB at most a
// pair (12 bytes an ID), so its writes stay within a WCU or two more however long the flood.
// sends is reset by each window's opening and holds at most the flood cap's IDs (3 by
// default: 36 bytes); folds grows to the bound only in a flood. A retry that comes after 50
// more writes of its set (an SDK retry comes within seconds; a redelivery within minutes) is
// counted again, and a Release of a count whose ID left the sends (a cap above 100) gives
// nothing back: bounded memory trades that for a small item. The single-valued guards
// (opener_id, claim_id) cost 12 bytes each.
//
// Why sets on the items and not a per-alert marker item written with the count in one
// TransactWriteItems (exact for as long as the marker lives): a transaction costs twice the
// write units of both items on every write it guards, the fold of a flood the hottest write
// of the ledger, and dynalite, which the ledger is tested against, has no transactions. The
// sets keep each step a single conditional UpdateItem, exactly-once for every retry inside
// their bound.
const maxFoldIDs = 50

// notFolded conditions a flood write on the alert (:id, its foldID) not being among the recent folds
// (contains on a missing set is false).
const notFolded = " AND NOT contains(folds, :id) AND NOT contains(folds_old, :id)"

// foldID identifies one alert in the ledger's write guards (recent folds, sends and
// suppressions, opener_id, claim_id): the event's finding (DedupeKey)
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

// idSets names a pair of bounded string sets of recent write IDs on one item (see
// maxFoldIDs, maxSupIDs): an ID goes into cur with the write it guards; a full cur becomes old, in that
// same write, and cur starts again with the ID.
type idSets struct {
	cur, old string
	max      int // IDs in cur before it becomes old
}

// The ID sets of the ledger's items: on a flood item, the alerts folded lately (folds) and
// the alerts counted in the window (sends, reset by the window's opening); on a fingerprint
// item, the alerts suppressed lately (sups). sups is kept to maxSupIDs so a fingerprint item
// stays under 1 KB: a repeat's suppression, the write of a finding that keeps coming, stays
// one write unit.
var (
	foldIDSets = idSets{"folds", "folds_old", maxFoldIDs}
	sendIDSets = idSets{"sends", "sends_old", maxFoldIDs}
	supIDSets  = idSets{"sups", "sups_old", maxSupIDs}
)

// maxSupIDs bounds a fingerprint's recent suppression IDs (sups, sups_old): 16 to 32 of them,
// 400 bytes at most. A suppression retried after 16 more repeats of its finding (an SDK retry
// comes within a second or two) is counted again: one repeat too many in the next report.
const maxSupIDs = 16

// has says whether the item holds id in either set.
func (s idSets) has(item map[string]types.AttributeValue, id string) bool {
	return slices.Contains(setAttr(item, s.cur), id) || slices.Contains(setAttr(item, s.old), id)
}

// onceWrite is one counting UpdateItem made exactly-once by an ID set: SET set, ADD add, on
// the condition cond, and only if id is in neither of ids' sets.
type onceWrite struct {
	what   string // for errors: "fold alert x"
	key    map[string]types.AttributeValue
	ids    idSets
	id     string
	set    string // the SET clause's actions, without SET (not empty)
	add    string // the ADD clause's actions, without ADD (not empty)
	cond   string
	names  map[string]string
	values map[string]types.AttributeValue // :id, :ids and :maxids are added
}

// onceResult is what updateOnce did.
type onceResult int

const (
	onceNot    onceResult = iota // not written: cond does not hold (the item is returned)
	onceNow                      // written now
	onceBefore                   // a retry of a write that landed: written before, not again
)

// updateOnce applies w once per ID: the write is conditioned on its ID being absent and adds
// it in the same UpdateItem, so a retry of a write that landed (the SDK resending it after a
// lost reply, or Lambda redelivering the alert) fails its condition, and the item it fails on
// says "done already" (onceBefore). One conditional UpdateItem, no transaction; the item it
// returns is the item as written (onceNow) or as found (onceBefore, onceNot).
func (l *DynamoDBLedger) updateOnce(ctx context.Context, w onceWrite) (map[string]types.AttributeValue, onceResult, error) {
	values := maps.Clone(w.values)
	values[":id"], values[":ids"], values[":maxids"] = str(w.id), &types.AttributeValueMemberSS{Value: []string{w.id}}, num(int64(w.ids.max))
	absent := fmt.Sprintf(" AND NOT contains(%s, :id) AND NOT contains(%s, :id)", w.ids.cur, w.ids.old)
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: w.key,
		UpdateExpression:                    aws.String(fmt.Sprintf("SET %s ADD %s, %s :ids", w.set, w.add, w.ids.cur)),
		ConditionExpression:                 aws.String(fmt.Sprintf("(%s) AND (attribute_not_exists(%s) OR size(%s) < :maxids)", w.cond, w.ids.cur, w.ids.cur) + absent),
		ExpressionAttributeNames:            w.names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	for rotate := false; ; rotate = true {
		out, err := l.Client.UpdateItem(ctx, in)
		if err == nil {
			return out.Attributes, onceNow, nil
		}
		item, err := l.failedOn(ctx, err, w.key)
		if err != nil {
			return nil, onceNot, fmt.Errorf("%s: %w", w.what, err)
		}
		switch {
		case w.ids.has(item, w.id):
			return item, onceBefore, nil // a ConditionalCheckFailed that means "done already"
		case rotate || len(setAttr(item, w.ids.cur)) < w.ids.max:
			return item, onceNot, nil // not a full set: cond does not hold (or the item changed)
		}
		// The set is full: it becomes the old one and a new set starts with this ID.
		in.UpdateExpression = aws.String(fmt.Sprintf("SET %s, %s = %s, %s = :ids ADD %s", w.set, w.ids.old, w.ids.cur, w.ids.cur, w.add))
		in.ConditionExpression = aws.String(fmt.Sprintf("(%s) AND size(%s) >= :maxids", w.cond, w.ids.cur) + absent)
	}
}

// failedOn returns the item a conditional write failed on (a ConditionalCheckFailed's
// ALL_OLD item, or the item read back from servers that do not return it; nil when there is
// none), or err itself when the write failed otherwise.
func (l *DynamoDBLedger) failedOn(ctx context.Context, err error, key map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, err
	}
	if ccf.Item != nil {
		return ccf.Item, nil
	}
	got, err := l.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.Table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read the item after a failed condition: %w", err)
	}
	return got.Item, nil
}

// fold counts the alert in its capped flood window once (updateOnce with its foldID in the
// recent folds). It returns the flood item as the fold left it (or as it is, for a retry),
// for recordDue; onceNot means the window is not capped (any more): decide again.
func (l *DynamoDBLedger) fold(ctx context.Context, a *Alert, key map[string]types.AttributeValue, fid string, now time.Time, limit int) (map[string]types.AttributeValue, onceResult, error) {
	return l.updateOnce(ctx, onceWrite{
		what: "fold alert " + a.Kind, key: key, ids: foldIDSets, id: fid,
		set:  "expires_at = :exp, first_folded = if_not_exists(first_folded, :now), meta = :meta",
		add:  "folded :one",
		cond: "win_start > :cutoff AND sent >= :cap",
		values: map[string]types.AttributeValue{
			":one": num(1), ":exp": num(l.fingerprintExpiry(now)), ":cutoff": num(now.Add(-l.Options.Window).UnixMilli()),
			":cap": num(int64(limit)), ":now": num(now.UnixMilli()), ":meta": str(encodeMeta(a)),
		},
	})
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
		UpdateExpression:          aws.String("REMOVE d_folded, d_first, d_addrs, d_pfxs, opener, opener_id"),
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
		// The alert's ID leaves the window's sends with its count, and the write is
		// conditioned on it being there: a retry of a release that landed takes nothing more
		// (sent one too low would send one alert past the cap), and the alert's own retry is
		// counted afresh.
		fid := foldID(a, c.Token)
		_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression:    aws.String("ADD sent :minus DELETE sends :ids, sends_old :ids"),
			ConditionExpression: aws.String("win_start = :win AND sent > :zero AND (contains(sends, :id) OR contains(sends_old, :id))"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": num(-1), ":win": win, ":zero": num(0),
				":id": str(fid), ":ids": &types.AttributeValueMemberSS{Value: []string{fid}}},
		})
	case c.floodOpened:
		values := map[string]types.AttributeValue{":token": str(c.Token), ":win": win, ":zero": num(0)}
		_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(l.Table), Key: key,
			UpdateExpression: aws.String("SET folded = d_folded, first_folded = d_first, addrs = d_addrs, pfxs = d_pfxs, win_start = :zero, sent = :zero" +
				" REMOVE d_folded, d_first, d_addrs, d_pfxs, opener, opener_id"),
			ConditionExpression:       aws.String("opener = :token AND win_start = :win AND attribute_not_exists(folded)"),
			ExpressionAttributeValues: values,
		})
		if isConditionFailed(err) { // alerts were folded meanwhile: add the digest's count to theirs
			_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(l.Table), Key: key,
				UpdateExpression: aws.String("SET folded = folded + d_folded, first_folded = d_first, win_start = :zero, sent = :zero" +
					" REMOVE d_folded, d_first, d_addrs, d_pfxs, opener, opener_id"),
				ConditionExpression:       aws.String("opener = :token AND win_start = :win AND d_folded > :zero"),
				ExpressionAttributeValues: values,
			})
		}
		if isConditionFailed(err) { // alerts were folded meanwhile and the opener carried none
			// Before this write the opener stayed: the window kept its count, and the alert's
			// retry was folded (or, with its opener_id, took the opening over carrying nothing,
			// leaving those folds for a window later than the memory ledger reports them).
			_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(l.Table), Key: key,
				UpdateExpression:          aws.String("SET win_start = :zero, sent = :zero REMOVE d_folded, d_first, d_addrs, d_pfxs, opener, opener_id"),
				ConditionExpression:       aws.String("opener = :token AND win_start = :win AND attribute_exists(folded) AND NOT d_folded > :zero"),
				ExpressionAttributeValues: values,
			})
		}
		// Due now, should no alert of the flood come to carry it. Also when both conditions
		// failed: that may be this release's own retry (the SDK resending it after it landed),
		// whose entry must not be skipped; an entry with nothing to report is dropped by the
		// flush.
		if err == nil || isConditionFailed(err) {
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

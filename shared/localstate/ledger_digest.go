package localstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
)

// This file is the Ledger's side of alert.DigestLedger: the due rows a fold records
// (alert_due) and the flush reads, and a flush's claim on a flood's digest (flush_* columns of
// alert_floods), decided in one transaction each like every other claim.

// addDue files a flood's window under a due bucket (a set: adding twice is adding once), and
// forgets the buckets no flush reads any more (older than alert.DigestHorizon and an hour, as
// the DynamoDB ledger's due items expire).
func addDue(ctx context.Context, tx *sql.Tx, bucket time.Time, flood string, win int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_due (bucket, flood_key, win_start) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, alertMS(bucket), flood, win)
	if err == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM alert_due WHERE bucket < ?`,
			alertMS(bucket.Add(-alert.DigestHorizon-time.Hour)))
	}
	if err != nil {
		return fmt.Errorf("record flood digest due at %s: %w", bucket.Format(time.RFC3339), err)
	}
	return nil
}

func dropDue(ctx context.Context, tx *sql.Tx, d alert.DueDigest) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM alert_due WHERE bucket = ? AND flood_key = ? AND win_start = ?`,
		alertMS(d.Bucket), d.Flood, d.Win)
	if err != nil {
		return fmt.Errorf("drop settled digest entry of %s: %w", d.Flood, err)
	}
	return nil
}

// DueDigests implements alert.DigestLedger: the due rows of the buckets within
// alert.DigestHorizon up to now, oldest first.
func (l *Ledger) DueDigests(ctx context.Context, now time.Time) ([]alert.DueDigest, error) {
	from, to := alert.DigestBucketOf(now.Add(-alert.DigestHorizon)), alert.DigestBucketOf(now)
	rows, err := l.db.SQL.QueryContext(ctx, `SELECT bucket, flood_key, win_start FROM alert_due
		WHERE bucket BETWEEN ? AND ? ORDER BY bucket, flood_key, win_start`, alertMS(from), alertMS(to))
	if err != nil {
		return nil, fmt.Errorf("read due digests: %w", err)
	}
	defer rows.Close()
	var out []alert.DueDigest
	for rows.Next() {
		var b int64
		var d alert.DueDigest
		if err := rows.Scan(&b, &d.Flood, &d.Win); err != nil {
			return nil, fmt.Errorf("read due digests: %w", err)
		}
		d.Bucket = time.UnixMilli(b).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read due digests: %w", err)
	}
	return out, nil
}

// ClaimDigest implements alert.DigestLedger: it moves the flood's folded alerts to flush_* if
// its window ended and no flush holds a digest (the alert opening the next window would take
// the same alerts to its d_*; the transaction lets only one of the two have them), or takes
// over a digest whose flush's lease lapsed. An opener's digest (d_*) is left to it while its
// window is open; once the window ended with the opener still there (its invocation died, no
// redelivery took it over), the digest goes back to folded and this flush takes it with the
// window's own folds (see alert.DynamoDBLedger.ClaimDigest): else a flood that stopped there
// would never be reported.
func (l *Ledger) ClaimDigest(ctx context.Context, d alert.DueDigest, now, leaseUntil time.Time) (*alert.Digest, error) {
	var dg *alert.Digest
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		dg = nil
		fl, exists, err := loadFlood(ctx, tx, d.Flood)
		if err != nil {
			return err
		}
		switch {
		case !exists:
			return dropDue(ctx, tx, d)
		case fl.flushToken != "" && fl.flushLease > alertMS(now):
			return nil // another flush holds it
		case fl.flushToken != "": // that flush failed or died: take its digest over
			fl.flushToken, fl.flushLease = alert.NewClaimToken(), alertMS(leaseUntil)
		case fl.stranded() && fl.winStart <= alertMS(now.Add(-l.opts.Window)): // its opener died
			fl.giveBack()
			fallthrough
		case fl.folded > 0 && fl.winStart <= alertMS(now.Add(-l.opts.Window)):
			fl.flushToken, fl.flushLease = alert.NewClaimToken(), alertMS(leaseUntil)
			fl.flushFolded, fl.flushFirst, fl.flushSources, fl.flushMeta = fl.folded, fl.firstFolded, fl.sources, fl.meta
			fl.folded, fl.firstFolded, fl.sources = 0, 0, alert.Sources{}
		default:
			if !l.pending(fl, d, now) {
				return dropDue(ctx, tx, d)
			}
			return nil
		}
		if err := updateFlood(ctx, tx, d.Flood, fl); err != nil {
			return err
		}
		var meta alert.Alert
		if fl.flushMeta != "" {
			if err := json.Unmarshal([]byte(fl.flushMeta), &meta); err != nil {
				return fmt.Errorf("read flood identity: %w", err)
			}
		}
		a := alert.FloodDigestAlert(meta, fl.flushFolded, alertTime(fl.flushFirst), fl.flushSources.Summary())
		dg = &alert.Digest{Alert: a, Due: d, Token: fl.flushToken, Now: now}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim digest of %s: %w", d.Flood, err)
	}
	return dg, nil
}

// pending says whether d's due row must stay: a flush holds the digest, or the flood has
// folded alerts of an ended window, or d's window is still open, or an opener holds a digest
// (until it commits it, or a flush takes it back once its window ended).
func (l *Ledger) pending(fl floodRow, d alert.DueDigest, now time.Time) bool {
	open := fl.winStart > alertMS(now.Add(-l.opts.Window))
	return fl.flushToken != "" || fl.stranded() || (fl.folded > 0 && !open) || (open && fl.winStart == d.Win)
}

// CommitDigest implements alert.DigestLedger: the digest is sent; its due row goes once the
// flood has nothing left to report.
func (l *Ledger) CommitDigest(ctx context.Context, dg *alert.Digest) error {
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		fl, exists, err := loadFlood(ctx, tx, dg.Due.Flood)
		if err != nil || !exists || fl.flushToken != dg.Token {
			return err // gone, or our lease lapsed and another flush took the digest over
		}
		fl.flushToken, fl.flushLease, fl.flushFolded, fl.flushFirst = "", 0, 0, 0
		fl.flushSources, fl.flushMeta = alert.Sources{}, ""
		if err := updateFlood(ctx, tx, dg.Due.Flood, fl); err != nil {
			return err
		}
		if !l.pending(fl, dg.Due, dg.Now) {
			return dropDue(ctx, tx, dg.Due)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark digest of %s sent: %w", dg.Due.Flood, err)
	}
	return nil
}

// ReleaseDigest implements alert.DigestLedger: the claim's lease ends now, so the next flush
// takes the digest over.
func (l *Ledger) ReleaseDigest(ctx context.Context, dg *alert.Digest) error {
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alert_floods SET flush_lease = 0 WHERE flood_key = ? AND flush_token = ?`,
			dg.Due.Flood, dg.Token)
		return err
	})
	if err != nil {
		return fmt.Errorf("release digest of %s: %w", dg.Due.Flood, err)
	}
	return nil
}

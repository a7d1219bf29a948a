package localstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
)

// ledgerSchema is the alert ledger's tables. Times are Unix milliseconds (lease_until,
// last_sent, win_start…) except expires_at (Unix seconds, like the DynamoDB TTL); query them
// with datetime(last_sent/1000, 'unixepoch').
//
//	alert_claims        one row per event and finding (alert.Alert.DedupeKey): claimed|done
//	alert_fingerprints  one row per finding (alert.Alert.Fingerprint): claimed|sent|released,
//	                    the last send, alerts held back since (suppressed) and ever (total)
//	alert_floods        one row per flood (alert.Alert.FloodKey): the flood window, alerts sent
//	                    and folded in it, the digest its opener is sending (d_*) and the one a
//	                    flush holds (flush_*)
//	alert_flood_claims  what a Send claim did to its flood, until its Commit or Release
//	alert_due           the floods whose digest is due in a DigestBucket, for the flush
var ledgerSchema = []string{
	`CREATE TABLE IF NOT EXISTS alert_claims (
		event_key   TEXT PRIMARY KEY,
		kind        TEXT NOT NULL,
		event_id    TEXT NOT NULL,
		status      TEXT NOT NULL,
		token       TEXT NOT NULL,
		lease_until INTEGER NOT NULL,
		expires_at  INTEGER NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS alert_claims_expires ON alert_claims (expires_at) WHERE expires_at > 0`,
	`CREATE TABLE IF NOT EXISTS alert_fingerprints (
		fingerprint TEXT PRIMARY KEY,
		kind        TEXT NOT NULL,
		account     TEXT NOT NULL,
		principal   TEXT NOT NULL,
		source_ip   TEXT NOT NULL,
		status      TEXT NOT NULL,
		token       TEXT NOT NULL,
		lease_until INTEGER NOT NULL,
		last_sent   INTEGER NOT NULL,
		suppressed  INTEGER NOT NULL,
		total       INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS alert_floods (
		flood_key      TEXT PRIMARY KEY,
		kind           TEXT NOT NULL,
		account        TEXT NOT NULL,
		principal      TEXT NOT NULL,
		win_start      INTEGER NOT NULL,
		opener         TEXT NOT NULL,
		sent           INTEGER NOT NULL,
		folded         INTEGER NOT NULL,
		first_folded   INTEGER NOT NULL,
		sources        TEXT NOT NULL,
		meta           TEXT NOT NULL,
		d_folded       INTEGER NOT NULL,
		d_first        INTEGER NOT NULL,
		d_sources      TEXT NOT NULL,
		flush_token    TEXT NOT NULL,
		flush_lease    INTEGER NOT NULL,
		flush_folded   INTEGER NOT NULL,
		flush_first    INTEGER NOT NULL,
		flush_sources  TEXT NOT NULL,
		flush_meta     TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS alert_flood_claims (
		token      TEXT PRIMARY KEY,
		flood_key  TEXT NOT NULL,
		win_start  INTEGER NOT NULL,
		opened     INTEGER NOT NULL,
		admitted   INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS alert_due (
		bucket    INTEGER NOT NULL,
		flood_key TEXT NOT NULL,
		win_start INTEGER NOT NULL,
		PRIMARY KEY (bucket, flood_key, win_start)
	)`,
}

// Ledger is the alert.Ledger and alert.DigestLedger of a local run with -state: the same
// decisions as alert.MemoryLedger and alert.DynamoDBLedger, each Claim, Commit, Release and
// digest step one SQLite transaction (BEGIN IMMEDIATE), so invocations in one process and
// local processes sharing the state directory agree on who sends, and a redelivered event
// (a replay run twice) sends nothing.
type Ledger struct {
	db   *DB
	opts alert.LedgerOptions
}

var (
	_ alert.Ledger       = (*Ledger)(nil)
	_ alert.DigestLedger = (*Ledger)(nil)
)

// Ledger returns the state's alert ledger with opts (SUPPRESS_WINDOW, ALERT_FLOOD_CAP…),
// creating its tables when missing. opts.DedupeFor is how long an event's claim is kept
// (0 keeps it for good, like the memory ledger).
func (d *DB) Ledger(opts alert.LedgerOptions) (*Ledger, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("alert ledger: %w", err)
	}
	if err := d.ensure(context.Background(), ledgerSchema...); err != nil {
		return nil, fmt.Errorf("alert ledger: %w", err)
	}
	return &Ledger{db: d, opts: opts}, nil
}

// fingerprintRow is an alert_fingerprints row.
type fingerprintRow struct {
	status, token        string
	leaseUntil, lastSent int64
	suppressed, total    int
}

// floodRow is an alert_floods row; the *Sources are JSON in the table.
type floodRow struct {
	winStart     int64
	opener       string
	sent, folded int
	firstFolded  int64
	sources      alert.Sources
	meta         string
	dFolded      int
	dFirst       int64
	dSources     alert.Sources
	flushToken   string
	flushLease   int64
	flushFolded  int
	flushFirst   int64
	flushSources alert.Sources
	flushMeta    string
}

// giveBack returns the digest of the window's opener (if any) to the flood's folded alerts,
// since the first of them all, and forgets the opener.
func (fl *floodRow) giveBack() {
	fl.folded += fl.dFolded
	if fl.dFolded > 0 && (fl.firstFolded == 0 || fl.dFirst < fl.firstFolded) {
		fl.firstFolded = fl.dFirst
	}
	fl.sources.Merge(fl.dSources)
	fl.opener, fl.dFolded, fl.dFirst, fl.dSources = "", 0, 0, alert.Sources{}
}

// stranded says the window's opener holds a digest: its own while the window is open, a dead
// invocation's once it ended.
func (fl *floodRow) stranded() bool { return fl.opener != "" && fl.dFolded > 0 }

func alertMS(t time.Time) int64 { return t.UnixMilli() }

func alertTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// Claim implements alert.Ledger.
func (l *Ledger) Claim(ctx context.Context, a *alert.Alert, now, leaseUntil time.Time) (alert.Claim, error) {
	c := alert.Claim{Token: alert.NewClaimToken(), Now: now}
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		c.Action = alert.Send
		if a.EventID != "" {
			action, err := l.claimEvent(ctx, tx, a, c.Token, now, leaseUntil)
			if err != nil || action != alert.Send {
				c.Action = action
				return err
			}
		}
		fk := a.Fingerprint()
		fp, exists, err := loadFingerprint(ctx, tx, fk)
		if err != nil {
			return err
		}
		fp.total++
		window := alertMS(now.Add(-l.opts.Window))
		claimable := !exists || fp.status == "released" ||
			(fp.status == "sent" && fp.lastSent <= window) ||
			(fp.status == "claimed" && fp.leaseUntil <= alertMS(now))
		if !claimable {
			fp.suppressed++
			c.Action = alert.Suppress
			if err := saveFingerprint(ctx, tx, a, fk, fp); err != nil {
				return err
			}
			return l.finishEvent(ctx, tx, a, c.Token)
		}
		admitted, err := l.admit(ctx, tx, a, &c, now, leaseUntil)
		if err != nil {
			return err
		}
		if !admitted {
			if !exists {
				fp.status = "released" // claimable: the finding was never sent
			}
			c.Action, c.Fold, c.Folded = alert.Suppress, true, 1
			if err := saveFingerprint(ctx, tx, a, fk, fp); err != nil {
				return err
			}
			return l.finishEvent(ctx, tx, a, c.Token)
		}
		fp.status, fp.token, fp.leaseUntil = "claimed", c.Token, alertMS(leaseUntil)
		c.Suppressed, c.Since = fp.suppressed, alertTime(fp.lastSent)
		return saveFingerprint(ctx, tx, a, fk, fp)
	})
	if err != nil {
		return alert.Claim{Token: c.Token, Now: now}, fmt.Errorf("claim alert %s: %w", a.Kind, err)
	}
	return c, nil
}

// claimEvent records that this claim handles the event's finding, unless it is done (a
// redelivery) or held by a live claim (in flight). An expired claim (older than DedupeFor)
// counts as none, as the DynamoDB item would have expired.
func (l *Ledger) claimEvent(ctx context.Context, tx *sql.Tx, a *alert.Alert, token string, now, leaseUntil time.Time) (alert.Action, error) {
	key := a.DedupeKey()
	var status string
	var lease, expires int64
	err := tx.QueryRowContext(ctx, `SELECT status, lease_until, expires_at FROM alert_claims WHERE event_key = ?`, key).
		Scan(&status, &lease, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return alert.Send, fmt.Errorf("read event claim: %w", err)
	case expires != 0 && expires <= now.Unix():
	case status == "done":
		return alert.Duplicate, nil
	case lease > alertMS(now):
		return alert.InFlight, nil
	}
	// Claims past DedupeFor are forgotten, as DynamoDB's TTL deletes them.
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_claims WHERE expires_at > 0 AND expires_at <= ?`, now.Unix()); err != nil {
		return alert.Send, fmt.Errorf("prune event claims: %w", err)
	}
	var exp int64 // 0: kept for good
	if l.opts.DedupeFor > 0 {
		exp = now.Add(l.opts.DedupeFor).Unix()
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO alert_claims (event_key, kind, event_id, status, token, lease_until, expires_at)
		VALUES (?, ?, ?, 'claimed', ?, ?, ?)
		ON CONFLICT (event_key) DO UPDATE SET status = 'claimed', token = excluded.token,
			lease_until = excluded.lease_until, expires_at = excluded.expires_at`,
		key, a.Kind, a.EventID, token, alertMS(leaseUntil), exp)
	if err != nil {
		return alert.Send, fmt.Errorf("write event claim: %w", err)
	}
	return alert.Send, nil
}

// finishEvent marks the event's claim done, if this claim still holds it.
func (l *Ledger) finishEvent(ctx context.Context, tx *sql.Tx, a *alert.Alert, token string) error {
	if a.EventID == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alert_claims SET status = 'done' WHERE event_key = ? AND token = ?`,
		a.DedupeKey(), token); err != nil {
		return fmt.Errorf("mark event done: %w", err)
	}
	return nil
}

func loadFingerprint(ctx context.Context, tx *sql.Tx, fk string) (fingerprintRow, bool, error) {
	var fp fingerprintRow
	err := tx.QueryRowContext(ctx, `SELECT status, token, lease_until, last_sent, suppressed, total
		FROM alert_fingerprints WHERE fingerprint = ?`, fk).
		Scan(&fp.status, &fp.token, &fp.leaseUntil, &fp.lastSent, &fp.suppressed, &fp.total)
	if errors.Is(err, sql.ErrNoRows) {
		return fingerprintRow{}, false, nil
	}
	if err != nil {
		return fp, false, fmt.Errorf("read fingerprint: %w", err)
	}
	return fp, true, nil
}

func saveFingerprint(ctx context.Context, tx *sql.Tx, a *alert.Alert, fk string, fp fingerprintRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_fingerprints
		(fingerprint, kind, account, principal, source_ip, status, token, lease_until, last_sent, suppressed, total)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint) DO UPDATE SET status = excluded.status, token = excluded.token,
			lease_until = excluded.lease_until, last_sent = excluded.last_sent,
			suppressed = excluded.suppressed, total = excluded.total`,
		fk, a.Kind, a.Account, a.Principal, a.SourceIP, fp.status, fp.token, fp.leaseUntil, fp.lastSent, fp.suppressed, fp.total)
	if err != nil {
		return fmt.Errorf("write fingerprint: %w", err)
	}
	return nil
}

// admit applies flood control as alert.MemoryLedger does: open the flood's window (taking the
// previous window's digest for this claim), count the alert in it, or, at the cap, fold it and
// return false. What a Send claim did to the flood is kept in alert_flood_claims under its
// token, for its Commit or Release.
func (l *Ledger) admit(ctx context.Context, tx *sql.Tx, a *alert.Alert, c *alert.Claim, now, leaseUntil time.Time) (bool, error) {
	limit := l.opts.EffectiveFloodCap()
	if limit == 0 {
		return true, nil
	}
	key := a.FloodKey()
	fl, exists, err := loadFlood(ctx, tx, key)
	if err != nil {
		return false, err
	}
	var opened, admitted bool
	switch {
	case !exists || fl.winStart <= alertMS(now.Add(-l.opts.Window)):
		// An opener still there after its window never finished (its invocation died, no
		// redelivery took it over): its digest goes back to folded first and this opening
		// carries it with the window's own folds, never overwriting it.
		fl.giveBack()
		fl.dFolded, fl.dFirst, fl.dSources = fl.folded, fl.firstFolded, fl.sources
		fl.folded, fl.firstFolded, fl.sources = 0, 0, alert.Sources{}
		fl.winStart, fl.opener, fl.sent = alertMS(now), c.Token, 1
		opened = true
		if fl.dFolded > 0 {
			c.Folded, c.FoldedSince, c.FoldedFrom = fl.dFolded, alertTime(fl.dFirst), fl.dSources.Summary()
		}
	case fl.sent < limit:
		fl.sent++
		admitted = true
	default:
		if fl.folded == 0 {
			fl.firstFolded = alertMS(now)
		}
		fl.folded++
		fl.sources.Add(a.SourceIP)
		meta := alert.FloodIdentity(a)
		b, err := json.Marshal(meta)
		if err != nil {
			return false, fmt.Errorf("flood identity: %w", err)
		}
		fl.meta = string(b)
		end := alertTime(fl.winStart).Add(l.opts.Window)
		if err := addDue(ctx, tx, alert.DigestBucketOf(end), key, fl.winStart); err != nil {
			return false, err
		}
		return false, saveFlood(ctx, tx, a, key, fl)
	}
	if fl.sent == limit {
		c.FoldingUntil = alertTime(fl.winStart).Add(l.opts.Window)
	}
	if err := saveFlood(ctx, tx, a, key, fl); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO alert_flood_claims (token, flood_key, win_start, opened, admitted, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.Token, key, fl.winStart, opened, admitted, leaseUntil.Add(l.opts.Window+24*time.Hour).Unix())
	if err != nil {
		return false, fmt.Errorf("write flood claim: %w", err)
	}
	// Claims that never finished (a crash between Claim and Commit) are forgotten in time.
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_flood_claims WHERE expires_at < ?`, now.Unix()); err != nil {
		return false, fmt.Errorf("prune flood claims: %w", err)
	}
	return true, nil
}

func loadFlood(ctx context.Context, tx *sql.Tx, key string) (floodRow, bool, error) {
	var fl floodRow
	var src, dSrc, xSrc string
	err := tx.QueryRowContext(ctx, `SELECT win_start, opener, sent, folded, first_folded, sources, meta,
		d_folded, d_first, d_sources, flush_token, flush_lease, flush_folded, flush_first, flush_sources, flush_meta
		FROM alert_floods WHERE flood_key = ?`, key).
		Scan(&fl.winStart, &fl.opener, &fl.sent, &fl.folded, &fl.firstFolded, &src, &fl.meta,
			&fl.dFolded, &fl.dFirst, &dSrc, &fl.flushToken, &fl.flushLease, &fl.flushFolded, &fl.flushFirst, &xSrc, &fl.flushMeta)
	if errors.Is(err, sql.ErrNoRows) {
		return floodRow{}, false, nil
	}
	if err != nil {
		return fl, false, fmt.Errorf("read flood: %w", err)
	}
	for _, s := range []struct {
		text string
		to   *alert.Sources
	}{{src, &fl.sources}, {dSrc, &fl.dSources}, {xSrc, &fl.flushSources}} {
		if err := json.Unmarshal([]byte(s.text), s.to); err != nil {
			return fl, false, fmt.Errorf("read flood %s sources: %w", key, err)
		}
	}
	return fl, true, nil
}

func sourcesJSON(s alert.Sources) string {
	b, _ := json.Marshal(s) // two string lists: never fails
	return string(b)
}

func saveFlood(ctx context.Context, tx *sql.Tx, a *alert.Alert, key string, fl floodRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_floods (flood_key, kind, account, principal,
		win_start, opener, sent, folded, first_folded, sources, meta, d_folded, d_first, d_sources,
		flush_token, flush_lease, flush_folded, flush_first, flush_sources, flush_meta)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (flood_key) DO UPDATE SET win_start = excluded.win_start, opener = excluded.opener,
			sent = excluded.sent, folded = excluded.folded, first_folded = excluded.first_folded,
			sources = excluded.sources, meta = excluded.meta, d_folded = excluded.d_folded,
			d_first = excluded.d_first, d_sources = excluded.d_sources, flush_token = excluded.flush_token,
			flush_lease = excluded.flush_lease, flush_folded = excluded.flush_folded,
			flush_first = excluded.flush_first, flush_sources = excluded.flush_sources, flush_meta = excluded.flush_meta`,
		key, a.Kind, a.Account, a.Principal, fl.winStart, fl.opener, fl.sent, fl.folded, fl.firstFolded,
		sourcesJSON(fl.sources), fl.meta, fl.dFolded, fl.dFirst, sourcesJSON(fl.dSources),
		fl.flushToken, fl.flushLease, fl.flushFolded, fl.flushFirst, sourcesJSON(fl.flushSources), fl.flushMeta)
	if err != nil {
		return fmt.Errorf("write flood: %w", err)
	}
	return nil
}

// updateFlood writes a flood row back whose identity columns are already there.
func updateFlood(ctx context.Context, tx *sql.Tx, key string, fl floodRow) error {
	_, err := tx.ExecContext(ctx, `UPDATE alert_floods SET win_start = ?, opener = ?, sent = ?, folded = ?,
		first_folded = ?, sources = ?, meta = ?, d_folded = ?, d_first = ?, d_sources = ?, flush_token = ?,
		flush_lease = ?, flush_folded = ?, flush_first = ?, flush_sources = ?, flush_meta = ? WHERE flood_key = ?`,
		fl.winStart, fl.opener, fl.sent, fl.folded, fl.firstFolded, sourcesJSON(fl.sources), fl.meta,
		fl.dFolded, fl.dFirst, sourcesJSON(fl.dSources), fl.flushToken, fl.flushLease, fl.flushFolded,
		fl.flushFirst, sourcesJSON(fl.flushSources), fl.flushMeta, key)
	if err != nil {
		return fmt.Errorf("write flood: %w", err)
	}
	return nil
}

// floodClaim is what a Send claim did to its flood (alert_flood_claims).
type floodClaim struct {
	key              string
	winStart         int64
	opened, admitted bool
}

func takeFloodClaim(ctx context.Context, tx *sql.Tx, token string) (floodClaim, bool, error) {
	var fc floodClaim
	err := tx.QueryRowContext(ctx, `SELECT flood_key, win_start, opened, admitted FROM alert_flood_claims WHERE token = ?`, token).
		Scan(&fc.key, &fc.winStart, &fc.opened, &fc.admitted)
	if errors.Is(err, sql.ErrNoRows) {
		return fc, false, nil
	}
	if err != nil {
		return fc, false, fmt.Errorf("read flood claim: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_flood_claims WHERE token = ?`, token); err != nil {
		return fc, false, fmt.Errorf("drop flood claim: %w", err)
	}
	return fc, true, nil
}

// Commit implements alert.Ledger: the fingerprint is sent as of the claim, the reported
// suppressed count is subtracted (repeats counted meanwhile stay for the next alert), the
// window's digest is reported, the event is done. A claim whose lease was taken over changes
// nothing.
func (l *Ledger) Commit(ctx context.Context, a *alert.Alert, c alert.Claim) error {
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE alert_fingerprints SET status = 'sent', last_sent = ?,
			suppressed = suppressed - ? WHERE fingerprint = ? AND token = ?`,
			alertMS(c.Now), c.Suppressed, a.Fingerprint(), c.Token); err != nil {
			return fmt.Errorf("mark sent: %w", err)
		}
		fc, ok, err := takeFloodClaim(ctx, tx, c.Token)
		if err != nil {
			return err
		}
		if ok && fc.opened {
			if _, err := tx.ExecContext(ctx, `UPDATE alert_floods SET opener = '', d_folded = 0, d_first = 0,
				d_sources = '{}' WHERE flood_key = ? AND opener = ?`, fc.key, c.Token); err != nil {
				return fmt.Errorf("mark digest sent: %w", err)
			}
		}
		return l.finishEvent(ctx, tx, a, c.Token)
	})
	if err != nil {
		return fmt.Errorf("commit alert %s: %w", a.Kind, err)
	}
	return nil
}

// Release implements alert.Ledger: the fingerprint, the flood's count or digest and the event
// are free again for the retry.
func (l *Ledger) Release(ctx context.Context, a *alert.Alert, c alert.Claim) error {
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE alert_fingerprints SET status = 'released', total = total - 1
			WHERE fingerprint = ? AND token = ?`, a.Fingerprint(), c.Token); err != nil {
			return fmt.Errorf("release fingerprint: %w", err)
		}
		fc, ok, err := takeFloodClaim(ctx, tx, c.Token)
		if err != nil {
			return err
		}
		if ok {
			if err := l.releaseFlood(ctx, tx, fc, c); err != nil {
				return err
			}
		}
		if a.EventID != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM alert_claims WHERE event_key = ? AND token = ?`,
				a.DedupeKey(), c.Token); err != nil {
				return fmt.Errorf("release event claim: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release alert %s: %w", a.Kind, err)
	}
	return nil
}

// releaseFlood undoes a failed send's flood step: the opener gives its digest back (the window
// reopens with the retry, which reports it; due now should none come), an admitted alert its
// place in the window.
func (l *Ledger) releaseFlood(ctx context.Context, tx *sql.Tx, fc floodClaim, c alert.Claim) error {
	fl, exists, err := loadFlood(ctx, tx, fc.key)
	if err != nil || !exists || fl.winStart != fc.winStart {
		return err
	}
	switch {
	case fc.opened && fl.opener == c.Token:
		fl.giveBack()
		fl.winStart, fl.sent = 0, 0
		if fl.folded > 0 {
			if err := addDue(ctx, tx, alert.DigestBucketOf(c.Now), fc.key, 0); err != nil {
				return err
			}
		}
	case fc.admitted && fl.sent > 0:
		fl.sent--
	default:
		return nil
	}
	return updateFlood(ctx, tx, fc.key, fl)
}

// Counts reports the finding's total alerts and those held back since the last send.
func (l *Ledger) Counts(ctx context.Context, a *alert.Alert) (total, suppressed int, err error) {
	err = l.db.SQL.QueryRowContext(ctx, `SELECT total, suppressed FROM alert_fingerprints WHERE fingerprint = ?`,
		a.Fingerprint()).Scan(&total, &suppressed)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read fingerprint counts: %w", err)
	}
	return total, suppressed, nil
}

// Folded reports the alerts of a's flood folded and not yet reported in a digest (a digest a
// flush holds counts until its Commit); -1 when the state cannot be read.
func (l *Ledger) Folded(a *alert.Alert) int {
	var n int
	err := l.db.SQL.QueryRow(`SELECT folded + d_folded + flush_folded FROM alert_floods WHERE flood_key = ?`,
		a.FloodKey()).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0
	case err != nil:
		return -1
	}
	return n
}

package localstate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CloudState is cloudpoll's state (shared/cloudaudit.State) in the state database: each
// source's cursor and the event IDs already processed, with the DynamoDB table's rules: a
// cursor only moves forward, an event is marked once (of two pollers marking it at once,
// exactly one gets true), and a mark past its expiry counts as absent.
//
//	cloudpoll_cursors(source, end_ms, end)   the end of the last complete window
//	cloudpoll_seen(key, expires)             <cloud>#<event id>, Unix seconds
type CloudState struct {
	db *DB
	// now decides whether a mark has expired (time.Now when nil).
	now func() time.Time
}

// NewCloudState makes the cloud poll tables in db when missing. now is the clock marks
// expire by (nil: time.Now).
func NewCloudState(ctx context.Context, db *DB, now func() time.Time) (*CloudState, error) {
	if now == nil {
		now = time.Now
	}
	err := db.ensure(ctx,
		`CREATE TABLE IF NOT EXISTS cloudpoll_cursors (source TEXT PRIMARY KEY, end_ms INTEGER NOT NULL, end TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS cloudpoll_seen (key TEXT PRIMARY KEY, expires INTEGER NOT NULL)`)
	if err != nil {
		return nil, err
	}
	return &CloudState{db: db, now: now}, nil
}

// Cursor implements cloudaudit.State.
func (s *CloudState) Cursor(ctx context.Context, source string) (time.Time, error) {
	var ms int64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT end_ms FROM cloudpoll_cursors WHERE source = ?`, source).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read cursor of %s: %w", source, err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// SetCursor implements cloudaudit.State: the stored end only grows.
func (s *CloudState) SetCursor(ctx context.Context, source string, end time.Time) error {
	_, err := s.db.SQL.ExecContext(ctx, `INSERT INTO cloudpoll_cursors (source, end_ms, end) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET end_ms = excluded.end_ms, end = excluded.end WHERE excluded.end_ms > cloudpoll_cursors.end_ms`,
		source, end.UnixMilli(), end.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("write cursor of %s: %w", source, err)
	}
	return nil
}

// Seen implements cloudaudit.State.
func (s *CloudState) Seen(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM cloudpoll_seen WHERE key = ? AND expires > ?`, key, s.now().Unix()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read seen %s: %w", key, err)
	}
	return n > 0, nil
}

// MarkSeen implements cloudaudit.State: one transaction forgets an expired mark and inserts
// the new one unless a live one is there.
func (s *CloudState) MarkSeen(ctx context.Context, key string, expires time.Time) (bool, error) {
	first := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM cloudpoll_seen WHERE key = ? AND expires <= ?`, key, s.now().Unix()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO cloudpoll_seen (key, expires) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, expires.Unix())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark seen %s: %w", key, err)
	}
	return first, nil
}

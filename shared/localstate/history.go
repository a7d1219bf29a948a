package localstate

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
)

// historySchema is the sent alerts, one row per alert.Sent.Key (an alert sent twice, after a
// lapsed lease, keeps its first row). sent_at and event_time are UTC text (historyTimeFormat), so
// `select kind, count(*) from alert_history where sent_at >= '2026-03-10' group by 1` works.
var historySchema = []string{
	`CREATE TABLE IF NOT EXISTS alert_history (
		key        TEXT PRIMARY KEY,
		sent_at    TEXT NOT NULL,
		kind       TEXT NOT NULL,
		severity   TEXT NOT NULL,
		title      TEXT NOT NULL,
		account    TEXT NOT NULL,
		region     TEXT NOT NULL,
		principal  TEXT NOT NULL,
		user       TEXT NOT NULL,
		source_ip  TEXT NOT NULL,
		event_id   TEXT NOT NULL,
		event_name TEXT NOT NULL,
		event_time TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS alert_history_sent_at ON alert_history (sent_at)`,
}

// historyTimeFormat is how the state writes times people query: fixed width UTC with milliseconds,
// so text order is time order and SQLite's date functions read it.
const historyTimeFormat = "2006-01-02T15:04:05.000Z"

func historyTime(t time.Time) string { return t.UTC().Format(historyTimeFormat) }

func parseHistoryTime(s string) (time.Time, error) {
	t, err := time.Parse(historyTimeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("state time %q: %w", s, err)
	}
	return t, nil
}

// History is the alert.History of a local run with -state: the alerts the Sender delivered, for
// the god view's recent alerts and for people's own queries (table alert_history).
type History struct{ db *DB }

var _ alert.History = (*History)(nil)

// History returns the state's alert history, creating its table when missing.
func (d *DB) History() (*History, error) {
	if err := d.ensure(context.Background(), historySchema...); err != nil {
		return nil, fmt.Errorf("alert history: %w", err)
	}
	return &History{db: d}, nil
}

// Record implements alert.History: one row per Key, the first kept, all in one transaction.
func (h *History) Record(ctx context.Context, sent []alert.Sent) error {
	if len(sent) == 0 {
		return nil
	}
	err := h.db.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO alert_history (key, sent_at, kind, severity, title,
			account, region, principal, user, source_ip, event_id, event_name, event_time)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, s := range sent {
			if _, err := stmt.ExecContext(ctx, s.Key, historyTime(s.At), s.Kind, string(s.Severity), s.Title,
				s.Account, s.Region, s.Principal, s.User, s.SourceIP, s.EventID, s.EventName, historyTime(s.EventTime)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("alert history: write %d alerts: %w", len(sent), err)
	}
	return nil
}

// Recent implements alert.History: the alerts sent in [from, to), newest first, at most limit
// (0: all).
func (h *History) Recent(ctx context.Context, from, to time.Time, limit int) ([]alert.Sent, error) {
	return h.read(ctx, `sent_at >= ? AND sent_at < ?`, `sent_at DESC, key`, limit, historyTime(from), historyTime(to))
}

// read lists the history rows matching where (its ? bound to args), in order, at most limit
// (0: all): the one reading of an alert_history row, for Recent and the god view.
func (h *History) read(ctx context.Context, where, order string, limit int, args ...any) ([]alert.Sent, error) {
	q := `SELECT key, sent_at, kind, severity, title, account, region, principal, user, source_ip,
		event_id, event_name, event_time FROM alert_history WHERE ` + where + ` ORDER BY ` + order
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := h.db.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alert history: read: %w", err)
	}
	defer rows.Close()
	var out []alert.Sent
	for rows.Next() {
		var s alert.Sent
		var at, evAt, sev string
		if err := rows.Scan(&s.Key, &at, &s.Kind, &sev, &s.Title, &s.Account, &s.Region, &s.Principal,
			&s.User, &s.SourceIP, &s.EventID, &s.EventName, &evAt); err != nil {
			return nil, fmt.Errorf("alert history: read: %w", err)
		}
		s.Severity = alert.Severity(sev)
		if s.At, err = parseHistoryTime(at); err != nil {
			return nil, fmt.Errorf("alert history: %w", err)
		}
		if s.EventTime, err = parseHistoryTime(evAt); err != nil {
			return nil, fmt.Errorf("alert history: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alert history: read: %w", err)
	}
	return out, nil
}

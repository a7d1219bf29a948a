package localstate

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ruleCountSchema is the rules' threshold counts (tally: and distinct: rules): one row per
// finding window (key, as the rules name it) and member (an event ID, or a distinct rule's
// value), at most limit members a key. expires_at is Unix seconds, as the DynamoDB TTL.
var ruleCountSchema = []string{
	`CREATE TABLE IF NOT EXISTS rule_counts (
		key        TEXT NOT NULL,
		member     TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		PRIMARY KEY (key, member)
	)`,
}

// RuleCounter is the rules.Counter of a local run with -state: the same sets as
// rules.DynamoCounter (a redelivered event adds nothing, a set stops growing at the
// threshold), each Add one transaction, so a replay run twice crosses a threshold once.
//
// That it implements rules.Counter is checked in the tests, so the package does not import
// shared/rules (CEL): functions without rules that open a state do not link it.
type RuleCounter struct{ db *DB }

// RuleCounter returns the state's rule threshold counter, creating its table when missing.
func (d *DB) RuleCounter() (*RuleCounter, error) {
	if err := d.ensure(context.Background(), ruleCountSchema...); err != nil {
		return nil, fmt.Errorf("rule counter: %w", err)
	}
	return &RuleCounter{db: d}, nil
}

// Add implements rules.Counter: member joins key's set while the set is below limit; reached
// says the set is full, and members lists it then.
func (c *RuleCounter) Add(ctx context.Context, key, member string, limit int, expires time.Time) (bool, []string, error) {
	var members []string
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		members = members[:0]
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM rule_counts WHERE key = ?`, key).Scan(&n); err != nil {
			return err
		}
		if n < limit {
			res, err := tx.ExecContext(ctx, `INSERT INTO rule_counts (key, member, expires_at) VALUES (?, ?, ?)
				ON CONFLICT (key, member) DO NOTHING`, key, member, expires.Unix())
			if err != nil {
				return err
			}
			if added, _ := res.RowsAffected(); added == 1 {
				n++
			}
		}
		if n < limit {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT member FROM rule_counts WHERE key = ? ORDER BY member`, key)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				return err
			}
			members = append(members, m)
		}
		return rows.Err()
	})
	if err != nil {
		return false, nil, fmt.Errorf("count %s in rule_counts: %w", key, err)
	}
	if members == nil {
		return false, nil, nil
	}
	return true, members, nil
}

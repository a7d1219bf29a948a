package localstate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
)

// column is one field of a struct stored as a SQL column: its name is the field's json tag, so
// the table follows the struct (a field added to counters.Key is a column on the next open).
type column struct {
	name  string
	index int          // the field's index in the struct
	kind  reflect.Kind // string, bool, or another kind stored as JSON text
}

// sqlName is what a json tag may be to serve as a column name unquoted in users' queries.
var sqlName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// columnsOf lists the exported fields of struct type t that have a json name (json:"-" and
// untagged fields are left out), in field order.
func columnsOf(t reflect.Type) []column {
	var out []column
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if !sqlName.MatchString(name) {
			panic(fmt.Sprintf("localstate: %s.%s: json name %q is not a plain SQL column name", t.Name(), f.Name, name))
		}
		out = append(out, column{name: name, index: i, kind: f.Type.Kind()})
	}
	return out
}

// keyColumns are counters.Key's fields as the counters table's columns (all strings).
var keyColumns = func() []column {
	cols := columnsOf(reflect.TypeFor[counters.Key]())
	for _, c := range cols {
		if c.kind != reflect.String {
			panic(fmt.Sprintf("localstate: counters.Key field %s is not a string", c.name))
		}
	}
	return cols
}()

// CounterColumns are the counters table's dimension columns, in counters.Key's order (hour,
// account, principal, source_ip, event_name, …); the table has count besides.
func CounterColumns() []string {
	out := make([]string, len(keyColumns))
	for i, c := range keyColumns {
		out[i] = c.name
	}
	return out
}

// Counters is the aggregate function's counters store in the state database, with the
// exactly-once rule of counters.Table and counters.Memory: a file (FileID, with its Part) is
// applied once, however often it is delivered.
//
// Tables:
//   - counters: one row per counter, its dimensions (counters.Key's json names) and count;
//   - counter_files: the ledger of applied files (one row per FileID marker);
//   - counter_rules: the threshold rules' counters (rule, hour, subject, account, count);
//   - counter_rule_files: each file's count of a rule counter before its increment, so a
//     redelivered file sees the same crossing again, as in DynamoDB.
type Counters struct {
	db *DB
}

// NewCounters makes (or finds) the counters tables in db. A state written before counters.Key
// gained a field gets the field's column, empty in the old rows.
func NewCounters(ctx context.Context, db *DB) (*Counters, error) {
	quoted := make([]string, len(keyColumns))
	defs := make([]string, len(keyColumns))
	for i, c := range keyColumns {
		quoted[i] = c.name
		defs[i] = c.name + " TEXT NOT NULL DEFAULT ''"
	}
	if err := db.ensure(ctx,
		`CREATE TABLE IF NOT EXISTS counters (`+strings.Join(defs, ", ")+`, count INTEGER NOT NULL DEFAULT 0)`,
		`CREATE TABLE IF NOT EXISTS counter_files (marker TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,
			etag TEXT NOT NULL, part INTEGER NOT NULL, written INTEGER NOT NULL DEFAULT 0, applied_at TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS counter_rules (rule TEXT NOT NULL, hour TEXT NOT NULL, subject TEXT NOT NULL,
			account TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (rule, hour, subject))`,
		`CREATE TABLE IF NOT EXISTS counter_rule_files (marker TEXT NOT NULL, rule TEXT NOT NULL, hour TEXT NOT NULL,
			subject TEXT NOT NULL, before INTEGER NOT NULL, PRIMARY KEY (marker, rule, hour, subject))`,
	); err != nil {
		return nil, err
	}
	have, err := tableColumns(ctx, db, "counters")
	if err != nil {
		return nil, err
	}
	added := false
	for _, c := range keyColumns {
		if !have[c.name] {
			if _, err := db.SQL.ExecContext(ctx, `ALTER TABLE counters ADD COLUMN `+c.name+` TEXT NOT NULL DEFAULT ''`); err != nil {
				return nil, fmt.Errorf("add counters column %s: %w", c.name, err)
			}
			added = true
		}
		delete(have, c.name)
	}
	delete(have, "count")
	if len(have) > 0 {
		return nil, fmt.Errorf("state %s: the counters table has columns this build's counters.Key lacks (%s): it was written by another trailguard version; give a new -state directory",
			db.Path, strings.Join(slices.Sorted(maps.Keys(have)), ", "))
	}
	// The unique index is the counter's identity, every dimension; rebuilt when one was added.
	stmts := []string{`CREATE UNIQUE INDEX IF NOT EXISTS counters_key ON counters (` + strings.Join(quoted, ", ") + `)`}
	if added {
		stmts = append([]string{`DROP INDEX IF EXISTS counters_key`}, stmts...)
	}
	if err := db.ensure(ctx, stmts...); err != nil {
		return nil, err
	}
	return &Counters{db: db}, nil
}

// tableColumns returns the columns table has.
func tableColumns(ctx context.Context, db *DB, table string) (map[string]bool, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", table, err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

// upsertCounter adds to one counter's count, creating it when new.
var upsertCounter = func() string {
	names := CounterColumns()
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(names)+1), ", ")
	return `INSERT INTO counters (` + strings.Join(names, ", ") + `, count) VALUES (` + marks + `)
		ON CONFLICT (` + strings.Join(names, ", ") + `) DO UPDATE SET count = count + excluded.count`
}()

// Apply takes a file's tally in, once per file (FileID with its Part), in one transaction: the
// file's ledger row is written first (taking the database's write lock), and only a file new to
// the ledger adds its counts. A redelivered file adds nothing and gets the rule totals its first
// delivery saw.
func (c *Counters) Apply(ctx context.Context, file counters.FileID, tally *counters.Tally) (counters.Applied, error) {
	marker := file.Marker()
	rules := tally.Rules()
	out := counters.Applied{Rules: make([]counters.RuleResult, len(rules))}
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		out.Written, out.Already = 0, 0
		res, err := tx.ExecContext(ctx, `INSERT INTO counter_files (marker, bucket, key, etag, part, applied_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (marker) DO NOTHING`,
			marker, file.Bucket, file.Key, strings.Trim(file.ETag, `"`), file.Part, time.Now().UTC().Format(time.RFC3339))
		if err != nil {
			return fmt.Errorf("counters: record file %s/%s: %w", file.Bucket, file.Key, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT written FROM counter_files WHERE marker = ?`, marker).Scan(&out.Already); err != nil {
				return fmt.Errorf("counters: read file %s/%s: %w", file.Bucket, file.Key, err)
			}
			for i, rc := range rules {
				var before int64
				err := tx.QueryRowContext(ctx, `SELECT before FROM counter_rule_files WHERE marker = ? AND rule = ? AND hour = ? AND subject = ?`,
					marker, rc.Rule, rc.Hour, rc.Subject).Scan(&before)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("counters: read rule counter %s: %w", rc.Rule, err)
				}
				out.Rules[i] = counters.RuleResult{RuleCount: rc, Before: before, After: before + rc.Count}
			}
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, upsertCounter)
		if err != nil {
			return fmt.Errorf("counters: %w", err)
		}
		defer stmt.Close()
		args := make([]any, len(keyColumns)+1)
		for _, r := range tally.Rows() {
			v := reflect.ValueOf(&r.Key).Elem()
			for i, col := range keyColumns {
				args[i] = v.Field(col.index).String()
			}
			args[len(keyColumns)] = r.Count
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("counters: add %+v: %w", r.Key, err)
			}
			out.Written++
		}
		for i, rc := range rules {
			var before int64
			err := tx.QueryRowContext(ctx, `SELECT count FROM counter_rules WHERE rule = ? AND hour = ? AND subject = ?`,
				rc.Rule, rc.Hour, rc.Subject).Scan(&before)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("counters: read rule counter %s: %w", rc.Rule, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO counter_rules (rule, hour, subject, account, count) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (rule, hour, subject) DO UPDATE SET count = count + excluded.count`,
				rc.Rule, rc.Hour, rc.Subject, rc.Account, rc.Count); err != nil {
				return fmt.Errorf("counters: add rule counter %s: %w", rc.Rule, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO counter_rule_files (marker, rule, hour, subject, before) VALUES (?, ?, ?, ?, ?)`,
				marker, rc.Rule, rc.Hour, rc.Subject, before); err != nil {
				return fmt.Errorf("counters: record rule counter %s: %w", rc.Rule, err)
			}
			out.Rules[i] = counters.RuleResult{RuleCount: rc, Before: before, After: before + rc.Count}
			out.Written++
		}
		if _, err := tx.ExecContext(ctx, `UPDATE counter_files SET written = ? WHERE marker = ?`, out.Written, marker); err != nil {
			return fmt.Errorf("counters: record file %s/%s: %w", file.Bucket, file.Key, err)
		}
		return nil
	})
	if err != nil {
		return counters.Applied{}, err
	}
	return out, nil
}

// Rows returns the counters of the hours in [from, to) (both on the hour, UTC), ordered by
// hour and then the other dimensions: what the god view reads.
func (c *Counters) Rows(ctx context.Context, from, to time.Time) ([]counters.Row, error) {
	names := CounterColumns()
	q := `SELECT ` + strings.Join(names, ", ") + `, count FROM counters WHERE hour >= ? AND hour < ? ORDER BY ` + strings.Join(names, ", ")
	rows, err := c.db.SQL.QueryContext(ctx, q, from.UTC().Format(counters.HourLayout), to.UTC().Format(counters.HourLayout))
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	defer rows.Close()
	var out []counters.Row
	dest := make([]any, len(keyColumns)+1)
	for rows.Next() {
		var r counters.Row
		v := reflect.ValueOf(&r.Key).Elem()
		for i, col := range keyColumns {
			dest[i] = v.Field(col.index).Addr().Interface()
		}
		dest[len(keyColumns)] = &r.Count
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read counters: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	return out, nil
}

// LatestHour is the latest hour with a counter ("2006-01-02T15"), or "" when there is none:
// where a local god view's default range ends (replayed trails are old).
func (c *Counters) LatestHour(ctx context.Context) (string, error) {
	var h sql.NullString
	if err := c.db.SQL.QueryRowContext(ctx, `SELECT max(hour) FROM counters`).Scan(&h); err != nil {
		return "", fmt.Errorf("read the latest counter hour: %w", err)
	}
	return h.String, nil
}

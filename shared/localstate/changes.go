package localstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/tags"
)

// changeColumns are changelog.Change's stored fields as the changes table's columns (their
// json names: time, event_id, event_name, …; tags as a JSON object, booleans as 0/1).
var changeColumns = columnsOf(reflect.TypeFor[changelog.Change]())

// ChangeColumns are the changes table's columns besides its key.
func ChangeColumns() []string {
	out := make([]string, len(changeColumns))
	for i, c := range changeColumns {
		out[i] = c.name
	}
	return out
}

// Changes is the change log in the state database, with the semantics of
// changelog.DynamoStore and MemoryStore: one record per event × resource (a redelivered event
// stores nothing new and gets the stored record back), read by tag or by principal over a time
// range, newest first. Every tag of a record is indexed (changelog.DynamoStore indexes only
// TAG_KEYS: a superset of answers, never fewer).
//
// Tables:
//   - changes: one row per change, key "EVENT_ID|RESOURCE" (changelog.Change.Key) and the
//     record's fields under their json names (tags as a JSON object);
//   - change_tags: one row per change and tag (key, tag_key, tag_value, time), for the
//     queries by tag, and for yours: select tag_value, count(*) from change_tags where
//     tag_key = 'project' group by 1.
type Changes struct {
	db *DB
}

// NewChanges makes (or finds) the change log's tables in db. A state written before
// changelog.Change gained a field gets the field's column.
func NewChanges(ctx context.Context, db *DB) (*Changes, error) {
	defs := []string{"key TEXT PRIMARY KEY"}
	for _, c := range changeColumns {
		defs = append(defs, c.name+" "+sqlType(c.kind))
	}
	if err := db.ensure(ctx,
		`CREATE TABLE IF NOT EXISTS changes (`+strings.Join(defs, ", ")+`)`,
		`CREATE TABLE IF NOT EXISTS change_tags (key TEXT NOT NULL REFERENCES changes (key), tag_key TEXT NOT NULL,
			tag_value TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY (key, tag_key))`,
	); err != nil {
		return nil, err
	}
	have, err := tableColumns(ctx, db, "changes")
	if err != nil {
		return nil, err
	}
	for _, c := range changeColumns {
		if !have[c.name] {
			if _, err := db.SQL.ExecContext(ctx, `ALTER TABLE changes ADD COLUMN `+c.name+" "+sqlType(c.kind)); err != nil {
				return nil, fmt.Errorf("add changes column %s: %w", c.name, err)
			}
		}
	}
	if err := db.ensure(ctx,
		`CREATE INDEX IF NOT EXISTS changes_time ON changes (time)`,
		`CREATE INDEX IF NOT EXISTS changes_principal ON changes (principal, time)`,
		`CREATE INDEX IF NOT EXISTS change_tags_tag ON change_tags (tag_key, tag_value, time)`,
	); err != nil {
		return nil, err
	}
	return &Changes{db: db}, nil
}

// sqlType is a column's SQLite type: TEXT for strings and JSON, INTEGER for booleans and numbers.
func sqlType(k reflect.Kind) string {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32:
		return "INTEGER NOT NULL DEFAULT 0"
	}
	return "TEXT NOT NULL DEFAULT ''"
}

// Put stores c once; see changelog.DynamoStore.Put. It returns the stored change (the earlier
// one for a redelivery) and whether this call created it.
func (s *Changes) Put(ctx context.Context, c changelog.Change) (changelog.Change, bool, error) {
	names := ChangeColumns()
	args := []any{c.Key()}
	v := reflect.ValueOf(&c).Elem()
	for _, col := range changeColumns {
		a, err := toSQL(v.Field(col.index))
		if err != nil {
			return c, false, fmt.Errorf("change %s: %s: %w", c.Key(), col.name, err)
		}
		args = append(args, a)
	}
	stored, fresh := c, false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO changes (key, `+strings.Join(names, ", ")+`) VALUES (?`+
			strings.Repeat(", ?", len(names))+`) ON CONFLICT (key) DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("store change %s: %w", c.Key(), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			got, err := s.query(ctx, tx, `WHERE key = ?`, c.Key())
			if err != nil {
				return err
			}
			if len(got) != 1 {
				return fmt.Errorf("change %s: stored but not found", c.Key())
			}
			stored = got[0]
			return nil
		}
		fresh = true
		for k, val := range c.Tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO change_tags (key, tag_key, tag_value, time) VALUES (?, ?, ?, ?)`,
				c.Key(), k, val, c.Time); err != nil {
				return fmt.Errorf("store change %s: tag %s: %w", c.Key(), k, err)
			}
		}
		return nil
	})
	if err != nil {
		return c, false, err
	}
	return stored, fresh, nil
}

// ByTag returns the changes to resources tagged key=value between from and to (inclusive, to
// the second), newest first.
func (s *Changes) ByTag(ctx context.Context, key, value string, from, to time.Time) ([]changelog.Change, error) {
	return s.query(ctx, s.db.SQL, `WHERE key IN (SELECT key FROM change_tags WHERE tag_key = ? AND tag_value = ?)
		AND time BETWEEN ? AND ?`, key, value, stamp(from), stamp(to))
}

// ByPrincipal returns the changes made by principal between from and to (inclusive, to the
// second), newest first.
func (s *Changes) ByPrincipal(ctx context.Context, principal string, from, to time.Time) ([]changelog.Change, error) {
	return s.query(ctx, s.db.SQL, `WHERE principal = ? AND time BETWEEN ? AND ?`, principal, stamp(from), stamp(to))
}

// Between returns every change between from and to (inclusive, to the second), newest first,
// at most limit (0: all).
func (s *Changes) Between(ctx context.Context, from, to time.Time, limit int) ([]changelog.Change, error) {
	return s.queryLimit(ctx, s.db.SQL, `WHERE time BETWEEN ? AND ?`, limit, stamp(from), stamp(to))
}

// LatestTime is the latest change's time (changelog.TimeLayout), or "" when there is none.
func (s *Changes) LatestTime(ctx context.Context) (string, error) {
	var t sql.NullString
	if err := s.db.SQL.QueryRowContext(ctx, `SELECT max(time) FROM changes`).Scan(&t); err != nil {
		return "", fmt.Errorf("read the latest change: %w", err)
	}
	return t.String, nil
}

func stamp(t time.Time) string { return t.UTC().Format(changelog.TimeLayout) }

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// query reads the changes matching where (a WHERE clause), newest first (ties by key, as
// MemoryStore orders them).
func (s *Changes) query(ctx context.Context, db querier, where string, args ...any) ([]changelog.Change, error) {
	return s.queryLimit(ctx, db, where, 0, args...)
}

// queryLimit is query keeping the first limit changes (0: all).
func (s *Changes) queryLimit(ctx context.Context, db querier, where string, limit int, args ...any) ([]changelog.Change, error) {
	q := `SELECT ` + strings.Join(ChangeColumns(), ", ") + ` FROM changes ` + where + ` ORDER BY time DESC, key`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	defer rows.Close()
	var out []changelog.Change
	for rows.Next() {
		var c changelog.Change
		v := reflect.ValueOf(&c).Elem()
		dest := make([]any, len(changeColumns))
		for i, col := range changeColumns {
			dest[i] = &fromSQL{v: v.Field(col.index)}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	return out, nil
}

// toSQL is a field's column value: strings as they are, booleans 0/1, others (tags) as JSON.
func toSQL(v reflect.Value) (any, error) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		if v.Bool() {
			return 1, nil
		}
		return 0, nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return v.Int(), nil
	}
	if v.Kind() == reflect.Map && v.IsNil() {
		return "{}", nil
	}
	b, err := json.Marshal(v.Interface())
	return string(b), err
}

// fromSQL scans a column into the field v, the inverse of toSQL.
type fromSQL struct{ v reflect.Value }

func (f *fromSQL) Scan(src any) error {
	switch f.v.Kind() {
	case reflect.String:
		f.v.SetString(asString(src))
	case reflect.Bool:
		n, _ := src.(int64)
		f.v.SetBool(n != 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, _ := src.(int64)
		f.v.SetInt(n)
	default:
		s := asString(src)
		if s == "" {
			return nil
		}
		if err := json.Unmarshal([]byte(s), f.v.Addr().Interface()); err != nil {
			return err
		}
		if t, ok := f.v.Addr().Interface().(*tags.Tags); ok && len(*t) == 0 {
			*t = nil // stored as {}: a change with no tags reads back as it was put
		}
	}
	return nil
}

func asString(src any) string {
	switch s := src.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	case nil:
		return ""
	}
	return fmt.Sprint(src)
}

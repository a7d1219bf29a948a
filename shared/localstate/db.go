// Package localstate keeps a local run's state (counters, change log, alert ledger and
// history, rule counters, cloud poll cursors) in one embedded SQLite database under -state DIR,
// with the same exactly-once contracts as the DynamoDB stores of the deployed functions (the
// contract suites in internal/storecontract run against both). It is a real database people
// can open: `sqlite3 DIR/trailguard.db 'select event_name, sum(count) from counters group by 1'`.
//
// The driver is modernc.org/sqlite (pure Go, so builds stay static). It is linked only into
// builds without the "lambda" tag (driver.go); the Lambda bootstraps (make build) carry the
// tag, so Open there fails with "unknown driver" and no SQLite code ships to Lambda.
package localstate

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FileName is the database file inside the state directory.
const FileName = "trailguard.db"

// DB is an open state directory. Each store creates its own tables when it is first made
// (CREATE TABLE IF NOT EXISTS), so a state directory written by one function is read by another.
type DB struct {
	SQL  *sql.DB
	Path string
}

// Open opens (creating when missing) the state database in dir. Writers from several local
// processes are serialized by SQLite's lock; busy_timeout makes them wait instead of failing.
func Open(dir string) (*DB, error) {
	if dir == "" {
		return nil, fmt.Errorf("state directory is empty")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return &DB{SQL: db, Path: path}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.SQL.Close() }

// Tx runs fn in one transaction (BEGIN IMMEDIATE semantics through a single connection's
// write lock): it commits when fn returns nil and rolls back otherwise, so a store's
// exactly-once step (check a marker, add counts, set the marker) is all or nothing.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin state transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit state transaction: %w", err)
	}
	return nil
}

// ensure runs a store's schema statements once per DB.
func (d *DB) ensure(ctx context.Context, stmts ...string) error {
	for _, s := range stmts {
		if _, err := d.SQL.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create state tables: %w", err)
		}
	}
	return nil
}

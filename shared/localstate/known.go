package localstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trailguard/trailguard/shared/tags"
)

// Known keeps each resource's last known tags in the state database, as tags.MemoryKnown and
// tags.DynamoKnown do: a deleted resource's change is still attributed to its project. Table
// known_tags: arn, tags (a JSON object), updated_at, expires_at ("" when Retain is 0: kept
// until the state is removed).
type Known struct {
	db *DB
	// Retain is how long a resource's tags outlive their last Put (KNOWN_TAGS_DAYS); 0 keeps
	// them. An entry past it is absent, as a DynamoDB item past its TTL is.
	Retain time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewKnown makes (or finds) the known_tags table in db.
func NewKnown(ctx context.Context, db *DB) (*Known, error) {
	if err := db.ensure(ctx, `CREATE TABLE IF NOT EXISTS known_tags (arn TEXT PRIMARY KEY, tags TEXT NOT NULL,
		updated_at TEXT NOT NULL, expires_at TEXT NOT NULL DEFAULT '')`); err != nil {
		return nil, err
	}
	return &Known{db: db}, nil
}

func (k *Known) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}

// Get returns the last tags known for arn (a non-nil set when found, like DynamoKnown).
func (k *Known) Get(ctx context.Context, arn string) (tags.Tags, bool, error) {
	var raw, expires string
	err := k.db.SQL.QueryRowContext(ctx, `SELECT tags, expires_at FROM known_tags WHERE arn = ?`, arn).Scan(&raw, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read last known tags of %s: %w", arn, err)
	}
	if expires != "" && expires <= k.now().Format(time.RFC3339) {
		return nil, false, nil
	}
	t := tags.Tags{}
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return nil, false, fmt.Errorf("decode last known tags of %s: %w", arn, err)
	}
	if t == nil {
		t = tags.Tags{}
	}
	return t, true, nil
}

// Put records tags as the last known tags of arn.
func (k *Known) Put(ctx context.Context, arn string, t tags.Tags) error {
	if t == nil {
		t = tags.Tags{}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode last known tags of %s: %w", arn, err)
	}
	now := k.now()
	expires := ""
	if k.Retain > 0 {
		expires = now.Add(k.Retain).Format(time.RFC3339)
	}
	if _, err := k.db.SQL.ExecContext(ctx, `INSERT INTO known_tags (arn, tags, updated_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (arn) DO UPDATE SET tags = excluded.tags, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
		arn, string(b), now.Format(time.RFC3339), expires); err != nil {
		return fmt.Errorf("write last known tags of %s: %w", arn, err)
	}
	return nil
}

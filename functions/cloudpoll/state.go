package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

// State keeps each source's cursor (the end of its last complete window) and the event IDs
// already processed. In AWS it is one DynamoDB table (cursor items and seen items with a TTL,
// the seen write conditional on the item's absence); MemoryState is for tests and local runs.
type State interface {
	// Cursor is the end of the source's last complete window; zero when it never completed one.
	Cursor(ctx context.Context, source string) (time.Time, error)
	// SetCursor records a completed window's end.
	SetCursor(ctx context.Context, source string, end time.Time) error
	// Seen reports whether the event was processed already.
	Seen(ctx context.Context, key string) (bool, error)
	// MarkSeen records the event as processed, once: false when it was marked already (the
	// conditional write lost), so a concurrent poll never counts it twice. expires is when the
	// mark may be forgotten (after every window that could read the event again).
	MarkSeen(ctx context.Context, key string, expires time.Time) (bool, error)
}

// MemoryState is State in memory.
type MemoryState struct {
	mu      sync.Mutex
	cursors map[string]time.Time
	seen    map[string]time.Time
}

func (m *MemoryState) init() {
	if m.cursors == nil {
		m.cursors, m.seen = map[string]time.Time{}, map[string]time.Time{}
	}
}

// Cursor implements State.
func (m *MemoryState) Cursor(_ context.Context, source string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	return m.cursors[source], nil
}

// SetCursor implements State.
func (m *MemoryState) SetCursor(_ context.Context, source string, end time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.cursors[source] = end
	return nil
}

// Seen implements State.
func (m *MemoryState) Seen(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	_, ok := m.seen[key]
	return ok, nil
}

// MarkSeen implements State.
func (m *MemoryState) MarkSeen(_ context.Context, key string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	if _, ok := m.seen[key]; ok {
		return false, nil
	}
	m.seen[key] = expires
	return true, nil
}

// Secrets reads a source's key pair. In AWS it is Secrets Manager (GetSecretValue of the
// source's secret_arn, the function's role allowed those secrets only); locally a JSON file.
type Secrets interface {
	Credentials(ctx context.Context, secretARN string) (cloudsign.Credentials, error)
}

// ErrNoSecret: the secret does not exist or holds no key pair.
var ErrNoSecret = errors.New("no such secret")

// ParseSecret reads a secret's JSON: {"access_key_id": "...", "access_key_secret": "..."},
// also accepting each cloud's own names (Huawei ak/sk, Alibaba AccessKeyId/AccessKeySecret,
// Tencent SecretId/SecretKey).
func ParseSecret(s string) (cloudsign.Credentials, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return cloudsign.Credentials{}, fmt.Errorf("%w: the secret is not a JSON object of strings", ErrNoSecret)
	}
	pick := func(names ...string) string {
		for _, n := range names {
			if v := m[n]; v != "" {
				return v
			}
		}
		return ""
	}
	c := cloudsign.Credentials{
		KeyID:  pick("access_key_id", "ak", "AK", "AccessKeyId", "SecretId"),
		Secret: pick("access_key_secret", "sk", "SK", "AccessKeySecret", "SecretKey"),
	}
	if c.KeyID == "" || c.Secret == "" {
		return cloudsign.Credentials{}, fmt.Errorf("%w: the secret lacks access_key_id or access_key_secret", ErrNoSecret)
	}
	return c, nil
}

// FileSecrets is Secrets from a JSON file mapping each secret ARN to its secret's JSON object
// (local runs and tests; never a deployment).
type FileSecrets struct{ Path string }

// Credentials implements Secrets.
func (f FileSecrets) Credentials(_ context.Context, arn string) (cloudsign.Credentials, error) {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return cloudsign.Credentials{}, fmt.Errorf("secrets file: %w", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return cloudsign.Credentials{}, fmt.Errorf("secrets file %s: %w", f.Path, err)
	}
	raw, ok := all[arn]
	if !ok {
		return cloudsign.Credentials{}, fmt.Errorf("%w: %s", ErrNoSecret, arn)
	}
	return ParseSecret(string(raw))
}

// MapSecrets is Secrets from a map of secret ARN to key pair (tests).
type MapSecrets map[string]cloudsign.Credentials

// Credentials implements Secrets.
func (m MapSecrets) Credentials(_ context.Context, arn string) (cloudsign.Credentials, error) {
	c, ok := m[arn]
	if !ok {
		return c, fmt.Errorf("%w: %s", ErrNoSecret, arn)
	}
	return c, nil
}

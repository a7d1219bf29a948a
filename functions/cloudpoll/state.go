package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/trailguard/trailguard/shared/cloudaudit"
	"github.com/trailguard/trailguard/shared/cloudsign"
)

// State is the sources' cursors and the processed event IDs (cloudaudit.State).
type State = cloudaudit.State

// MemoryState is State in memory (cloudaudit.MemoryState).
type MemoryState = cloudaudit.MemoryState

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

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

// ErrSecretDenied: the function may not read the secret (its ARN is outside the role's
// CloudPollSecretsPrefix, or the secret's KMS key refuses the role). Like ErrNoSecret it is a
// configuration fault a person must fix, not something a retry fixes.
var ErrSecretDenied = errors.New("secret not readable by the function")

// secretsAPI is the part of the Secrets Manager client the reader uses.
type secretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManager is Secrets from AWS Secrets Manager: the AWSCURRENT SecretString of the
// source's secret_arn, parsed by ParseSecret. A missing or deleted secret is ErrNoSecret, a
// refused read ErrSecretDenied (the source's operator alert); throttling and service errors,
// once the SDK's retries are spent, are plain errors (the invocation fails, the cursor stays).
// It keeps nothing between calls: the handler caches per invocation (invocationSecrets), so a
// rotated key is read on the next poll.
type SecretsManager struct {
	Client secretsAPI
}

// Credentials implements Secrets.
func (s SecretsManager) Credentials(ctx context.Context, arn string) (cloudsign.Credentials, error) {
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode() {
			case "ResourceNotFoundException", "InvalidRequestException": // absent; or scheduled for deletion
				return cloudsign.Credentials{}, fmt.Errorf("%w: %s: %s", ErrNoSecret, arn, apiErr.ErrorMessage())
			case "AccessDeniedException", "DecryptionFailure":
				return cloudsign.Credentials{}, fmt.Errorf("%w: %s: %s", ErrSecretDenied, arn, apiErr.ErrorMessage())
			}
		}
		return cloudsign.Credentials{}, fmt.Errorf("secrets manager: get %s: %w", arn, err)
	}
	if out.SecretString == nil {
		return cloudsign.Credentials{}, fmt.Errorf("%w: %s holds a SecretBinary, want a SecretString of JSON", ErrNoSecret, arn)
	}
	c, err := ParseSecret(aws.ToString(out.SecretString))
	if err != nil {
		return c, fmt.Errorf("%s: %w", arn, err)
	}
	return c, nil
}

// invocationSecrets caches one invocation's reads, so sources sharing a secret read it once
// and a throttle-prone GetSecretValue is not repeated; it lives for one HandleSchedule only.
// Answers that a retry would not change (a key pair, ErrNoSecret, ErrSecretDenied) are kept;
// other errors are not.
type invocationSecrets struct {
	base Secrets
	mu   sync.Mutex
	got  map[string]secretResult
}

type secretResult struct {
	cred cloudsign.Credentials
	err  error
}

func newInvocationSecrets(base Secrets) *invocationSecrets {
	return &invocationSecrets{base: base, got: map[string]secretResult{}}
}

// Credentials implements Secrets.
func (c *invocationSecrets) Credentials(ctx context.Context, arn string) (cloudsign.Credentials, error) {
	c.mu.Lock()
	r, ok := c.got[arn]
	c.mu.Unlock()
	if ok {
		return r.cred, r.err
	}
	cred, err := c.base.Credentials(ctx, arn)
	if err == nil || configFault(err) {
		c.mu.Lock()
		c.got[arn] = secretResult{cred, err}
		c.mu.Unlock()
	}
	return cred, err
}

// configFault reports whether a Secrets error is a person's to fix (the source's operator
// alert) rather than a transient failure (the invocation's error).
func configFault(err error) bool {
	return errors.Is(err, ErrNoSecret) || errors.Is(err, ErrSecretDenied)
}

package main

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/trailguard/trailguard/shared/awsfake"
	"github.com/trailguard/trailguard/shared/cloudsign"
)

// newSecretsManager is the reader over a fresh Secrets Manager fake, with the SDK's standard
// retryer (millisecond backoffs).
func newSecretsManager(t *testing.T) (*awsfake.SecretsManager, SecretsManager) {
	t.Helper()
	fake := awsfake.NewSecretsManager(t)
	client := secretsmanager.NewFromConfig(awsfake.Config(fake.URL()), func(o *secretsmanager.Options) {
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 5 * time.Millisecond })
	})
	return fake, SecretsManager{Client: client}
}

func TestSecretsManagerCredentials(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *awsfake.SecretsManager) string // returns the secret ARN to read
		want    cloudsign.Credentials
		wantErr error // nil, ErrNoSecret, ErrSecretDenied, or errTransient
		calls   int
	}{
		{"trailguard names", func(f *awsfake.SecretsManager) string {
			return f.PutSecret("trailguard/cloudpoll/ali", `{"access_key_id":"LTAI-READER","access_key_secret":"s3cr3t"}`)
		}, cloudsign.Credentials{KeyID: "LTAI-READER", Secret: "s3cr3t"}, nil, 1},
		{"Huawei's own names", func(f *awsfake.SecretsManager) string {
			return f.PutSecret("trailguard/cloudpoll/hw", `{"ak":"HW-AK","sk":"HW-SK"}`)
		}, cloudsign.Credentials{KeyID: "HW-AK", Secret: "HW-SK"}, nil, 1},
		{"throttled twice then read", func(f *awsfake.SecretsManager) string {
			f.FailNext(2, awsfake.Throttling)
			return f.PutSecret("trailguard/cloudpoll/tc", `{"SecretId":"AKID-TC","SecretKey":"tc-key"}`)
		}, cloudsign.Credentials{KeyID: "AKID-TC", Secret: "tc-key"}, nil, 3},
		{"missing", func(*awsfake.SecretsManager) string {
			return "arn:aws:secretsmanager:us-east-1:111122223333:secret:trailguard/cloudpoll/gone-AbCdEf"
		}, cloudsign.Credentials{}, ErrNoSecret, 1},
		{"not JSON", func(f *awsfake.SecretsManager) string { return f.PutSecret("trailguard/cloudpoll/x", "LTAI:s3cr3t") },
			cloudsign.Credentials{}, ErrNoSecret, 1},
		{"no secret half", func(f *awsfake.SecretsManager) string {
			return f.PutSecret("trailguard/cloudpoll/x", `{"access_key_id":"K"}`)
		},
			cloudsign.Credentials{}, ErrNoSecret, 1},
		{"binary", func(f *awsfake.SecretsManager) string {
			return f.PutBinarySecret("trailguard/cloudpoll/x", []byte("{}"))
		},
			cloudsign.Credentials{}, ErrNoSecret, 1},
		{"denied", func(f *awsfake.SecretsManager) string {
			arn := f.PutSecret("other/secret", `{"ak":"A","sk":"B"}`)
			f.Deny("other/secret")
			return arn
		}, cloudsign.Credentials{}, ErrSecretDenied, 1},
		{"throttled past the SDK's retries", func(f *awsfake.SecretsManager) string {
			f.FailNext(3, awsfake.Throttling)
			return f.PutSecret("trailguard/cloudpoll/x", `{"ak":"A","sk":"B"}`)
		}, cloudsign.Credentials{}, errTransient, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, sm := newSecretsManager(t)
			arn := tt.setup(fake)
			got, err := sm.Credentials(t.Context(), arn)
			switch {
			case tt.wantErr == errTransient:
				if err == nil || configFault(err) {
					t.Errorf("error %v, want a transient one (not ErrNoSecret or ErrSecretDenied)", err)
				}
			case !errors.Is(err, tt.wantErr):
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("credentials %+v, want %+v", got, tt.want)
			}
			calls := fake.Calls()
			if len(calls) != tt.calls {
				t.Errorf("%d GetSecretValue calls, want %d", len(calls), tt.calls)
			}
			for _, c := range calls {
				if c.SecretID != arn || c.CallerKey == "" {
					t.Errorf("request %+v: want SecretId %s, signed", c, arn)
				}
			}
		})
	}
}

// errTransient marks a want of an error that is neither ErrNoSecret nor ErrSecretDenied.
var errTransient = errors.New("transient")

// TestSecretsReadOncePerInvocation: sources sharing a secret read it once per poll, and the
// next poll reads it again (a rotated key is picked up within a minute).
func TestSecretsReadOncePerInvocation(t *testing.T) {
	f := startFakes(t)
	fake, sm := newSecretsManager(t)
	arn := fake.PutSecret("trailguard/cloudpoll/shared", `{"access_key_id":"KEYID-READER","access_key_secret":"reader-secret"}`)
	sources := slices.Clone(f.sources)
	for i := range sources {
		sources[i].SecretARN = arn
	}
	r := newRig(t, sources, sm, nil)
	for _, at := range []time.Time{firstPoll, secondPoll} {
		if err := r.pollAt(t, at); err != nil {
			t.Fatalf("poll at %s: %v", at, err)
		}
	}
	if n := len(fake.Calls()); n != 2 {
		t.Errorf("%d GetSecretValue calls over two polls of three sources, want 2", n)
	}
	want := 0
	for _, n := range f.events {
		want += n
	}
	if got := int(r.metrics.Get("Events")); got != want {
		t.Errorf("%d events, want %d", got, want)
	}
}

// TestSecretFailuresInAPoll: a secret the function may not read, or that is gone, is the
// source's operator alert and the other sources are polled; a read that stays throttled is
// the invocation's error (no alert about the key, the cursor kept), not a refusal.
func TestSecretFailuresInAPoll(t *testing.T) {
	tests := []struct {
		name        string
		break1      func(f *awsfake.SecretsManager, name string)
		wantErr     bool
		wantRefused int
	}{
		{"denied", func(f *awsfake.SecretsManager, name string) { f.Deny(name) }, false, 1},
		{"throttled", func(f *awsfake.SecretsManager, _ string) { f.FailNext(3, awsfake.Throttling) }, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakes(t)
			fake, sm := newSecretsManager(t)
			sources := slices.Clone(f.sources)
			for i := range sources {
				name := "trailguard/cloudpoll/" + sources[i].Name
				sources[i].SecretARN = fake.PutSecret(name, `{"access_key_id":"KEYID-READER","access_key_secret":"reader-secret"}`)
			}
			tt.break1(fake, "trailguard/cloudpoll/"+sources[0].Name) // the first source's secret is read first
			r := newRig(t, sources, sm, nil)
			err := r.pollAt(t, firstPoll)
			if (err != nil) != tt.wantErr {
				t.Fatalf("poll: %v, want error %v", err, tt.wantErr)
			}
			refused := 0
			for _, k := range r.alerts.Kinds() {
				if k == KindSourceRefused {
					refused++
				}
			}
			if refused != tt.wantRefused {
				t.Errorf("%d refused alerts, want %d", refused, tt.wantRefused)
			}
			if got := int(r.metrics.Get("Events." + sources[0].Cloud)); got != 0 {
				t.Errorf("the broken source's events counted: %d", got)
			}
			// What the same poll reads with every key readable.
			healthy := newRig(t, f.sources, allSecrets, nil)
			if err := healthy.pollAt(t, firstPoll); err != nil {
				t.Fatal(err)
			}
			for _, src := range sources[1:] {
				if got, want := int(r.metrics.Get("Events."+src.Cloud)), int(healthy.metrics.Get("Events."+src.Cloud)); got != want || got == 0 {
					t.Errorf("%s: %d events, want %d", src.Cloud, got, want)
				}
			}
			if cur, _ := r.h.State.Cursor(t.Context(), sources[0].Name); !cur.IsZero() {
				t.Errorf("the broken source's cursor moved to %s", cur)
			}
		})
	}
}

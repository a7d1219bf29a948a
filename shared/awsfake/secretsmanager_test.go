package awsfake

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

func newSecretsManagerClient(t *testing.T) (*SecretsManager, *secretsmanager.Client) {
	t.Helper()
	fake := NewSecretsManager(t)
	return fake, secretsmanager.NewFromConfig(Config(fake.URL()), func(o *secretsmanager.Options) { o.Retryer = fastRetries() })
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestGetSecretValueByNameAndARN(t *testing.T) {
	fake, client := newSecretsManagerClient(t)
	const name, value = "trailguard/cloudpoll/huawei-prod", `{"access_key_id":"AK","access_key_secret":"SK"}`
	arn := fake.PutSecret(name, value)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:111122223333:secret:"+name+"-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:111122223333:secret:"+name)+7 {
		t.Fatalf("ARN %s: want the name and six random characters", arn)
	}
	partial := strings.TrimSuffix(arn, arn[len(arn)-7:])
	for _, id := range []string{name, arn, partial} {
		out, err := client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if aws.ToString(out.SecretString) != value || aws.ToString(out.ARN) != arn || aws.ToString(out.Name) != name ||
			len(out.VersionStages) != 1 || out.VersionStages[0] != "AWSCURRENT" || out.CreatedDate == nil || out.SecretBinary != nil {
			t.Errorf("%s: %+v", id, out)
		}
	}
	calls := fake.Calls()
	if len(calls) != 3 || calls[0].SecretID != name || calls[1].SecretID != arn || calls[0].CallerKey != "AKIDAWSFAKE" || calls[0].Error != "" {
		t.Errorf("calls %+v", calls)
	}

	bin := fake.PutBinarySecret("binary", []byte{0, 1, 2})
	out, err := client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(bin)})
	if err != nil || out.SecretString != nil || !bytes.Equal(out.SecretBinary, []byte{0, 1, 2}) {
		t.Errorf("binary secret: %+v, %v", out, err)
	}
}

func TestGetSecretValueFailures(t *testing.T) {
	get := func(client *secretsmanager.Client, id string) error {
		_, err := client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		return err
	}
	tests := []struct {
		name      string
		setup     func(*SecretsManager)
		id        string
		wantCode  string // "" for success
		wantCalls int
	}{
		{"missing secret", func(*SecretsManager) {}, "trailguard/cloudpoll/nope", "ResourceNotFoundException", 1},
		{"missing by ARN", func(*SecretsManager) {}, "arn:aws:secretsmanager:us-east-1:111122223333:secret:nope-AbCdEf", "ResourceNotFoundException", 1},
		{"denied, not retried", func(f *SecretsManager) { f.PutSecret("s", "{}"); f.Deny("s") }, "s", "AccessDeniedException", 1},
		{"injected denial", func(f *SecretsManager) { f.PutSecret("s", "{}"); f.FailNext(1, AccessDenied) }, "s", "AccessDeniedException", 1},
		{"two throttles retried", func(f *SecretsManager) { f.PutSecret("s", "{}"); f.FailNext(2, Throttling) }, "s", "", 3},
		{"throttled past the retries", func(f *SecretsManager) { f.PutSecret("s", "{}"); f.FailNext(5, Throttling) }, "s", "ThrottlingException", 3},
		{"internal error retried", func(f *SecretsManager) { f.PutSecret("s", "{}"); f.FailNext(1, InternalError) }, "s", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newSecretsManagerClient(t)
			tt.setup(fake)
			err := get(client, tt.id)
			if got := errorCode(err); got != tt.wantCode || (tt.wantCode == "") != (err == nil) {
				t.Errorf("error %v (code %q), want code %q", err, got, tt.wantCode)
			}
			if n := len(fake.Calls()); n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

// TestSecretsManagerChecksTheRequest sends what the SDK would not: the fake refuses what
// the service refuses.
func TestSecretsManagerChecksTheRequest(t *testing.T) {
	fake := NewSecretsManager(t)
	fake.PutSecret("s", "{}")
	const auth = "AWS4-HMAC-SHA256 Credential=AKIDAWSFAKE/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=abc"
	tests := []struct {
		name, target, contentType, auth, body, wantCode string
	}{
		{"ok", "secretsmanager.GetSecretValue", "application/x-amz-json-1.1", auth, `{"SecretId":"s"}`, ""},
		{"unsigned", "secretsmanager.GetSecretValue", "application/x-amz-json-1.1", "", `{"SecretId":"s"}`, "MissingAuthenticationToken"},
		{"signed for another service", "secretsmanager.GetSecretValue", "application/x-amz-json-1.1", strings.Replace(auth, "/secretsmanager/", "/sts/", 1), `{"SecretId":"s"}`, "SignatureDoesNotMatch"},
		{"another operation", "secretsmanager.DeleteSecret", "application/x-amz-json-1.1", auth, `{"SecretId":"s"}`, "UnknownOperationException"},
		{"wrong content type", "secretsmanager.GetSecretValue", "application/json", auth, `{"SecretId":"s"}`, "SerializationException"},
		{"unknown member", "secretsmanager.GetSecretValue", "application/x-amz-json-1.1", auth, `{"SecretId":"s","Secret":"x"}`, "SerializationException"},
		{"no SecretId", "secretsmanager.GetSecretValue", "application/x-amz-json-1.1", auth, `{}`, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, fake.URL()+"/", strings.NewReader(tt.body))
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", tt.contentType)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			got := resp.Header.Get("X-Amzn-ErrorType")
			if got != tt.wantCode || (tt.wantCode == "") != (resp.StatusCode == http.StatusOK) {
				t.Errorf("%d %s %s, want error %q", resp.StatusCode, got, body, tt.wantCode)
			}
		})
	}
}

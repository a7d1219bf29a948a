package awsfake

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func newSTSClient(t *testing.T) (*STS, *sts.Client) {
	t.Helper()
	fake := NewSTS(t)
	return fake, sts.NewFromConfig(Config(fake.URL()), func(o *sts.Options) { o.Retryer = fastRetries() })
}

func TestAssumeRoleIssuesCredentialsOfTheRolesAccount(t *testing.T) {
	fake, client := newSTSClient(t)
	role := "arn:aws:iam::444455556666:role/trailguard-tag-reader"
	out, err := client.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("trailguard-tagenrich"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if key := aws.ToString(c.AccessKeyId); AccountOfKey(key, homeAccount) != memberAccount {
		t.Errorf("key %s does not name the member account", key)
	}
	if left := time.Until(aws.ToTime(c.Expiration)); left < 14*time.Minute || left > 15*time.Minute {
		t.Errorf("credentials expire in %s, want the 15 minutes asked", left)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::444455556666:assumed-role/trailguard-tag-reader/trailguard-tagenrich" {
		t.Errorf("assumed role ARN %s", got)
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].RoleARN != role || calls[0].SessionName != "trailguard-tagenrich" || calls[0].CallerKey != "AKIDAWSFAKE" {
		t.Errorf("calls %+v", calls)
	}
}

func TestAssumeRoleFailures(t *testing.T) {
	role := "arn:aws:iam::444455556666:role/trailguard-tag-reader"
	input := func(session string) *sts.AssumeRoleInput {
		return &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(session)}
	}
	code := func(err error) string {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			return apiErr.ErrorCode()
		}
		return ""
	}

	fake, client := newSTSClient(t)
	fake.Deny(role)
	if _, err := client.AssumeRole(t.Context(), input("s1")); code(err) != "AccessDenied" {
		t.Errorf("denied role: %v, want AccessDenied", err)
	}
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("AccessDenied retried: %d calls", n)
	}

	fake, client = newSTSClient(t)
	fake.FailNext(2, Throttling)
	if _, err := client.AssumeRole(t.Context(), input("s1")); err != nil {
		t.Errorf("after two throttles: %v", err)
	}
	if n := len(fake.Calls()); n != 3 {
		t.Errorf("%d calls, want 3 (two throttled, retried)", n)
	}

	_, client = newSTSClient(t)
	if _, err := client.AssumeRole(t.Context(), input("no spaces allowed")); code(err) != "ValidationError" {
		t.Errorf("bad session name: %v, want ValidationError", err)
	}
}

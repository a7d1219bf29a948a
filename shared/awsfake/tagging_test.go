package awsfake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const (
	homeAccount   = "111122223333"
	memberAccount = "444455556666"
)

// fastRetries keeps the SDK's standard retryer (throttle detection, retry quota) with
// millisecond backoffs, so retry tests take no time.
func fastRetries() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 5 * time.Millisecond })
}

func newTaggingClient(t *testing.T) (*Tagging, *rgt.Client) {
	t.Helper()
	fake := NewTagging(t, homeAccount)
	return fake, rgt.NewFromConfig(Config(fake.URL()), func(o *rgt.Options) { o.Retryer = fastRetries() })
}

func inRegion(region string) func(*rgt.Options) { return func(o *rgt.Options) { o.Region = region } }

func TestGetResourcesAnswersTheCallersRegionAndAccount(t *testing.T) {
	fake, client := newTaggingClient(t)
	home := "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"
	elsewhere := "arn:aws:ec2:us-east-1:111122223333:instance/i-2"
	member := "arn:aws:rds:eu-west-1:444455556666:db:orders"
	fake.SetTags(homeAccount, "eu-west-1", home, map[string]string{"project": "apollo"})
	fake.SetTags(homeAccount, "us-east-1", elsewhere, map[string]string{"project": "apollo"})
	fake.SetTags(memberAccount, "eu-west-1", member, map[string]string{"project": "apollo"})

	out, err := client.GetResources(t.Context(), &rgt.GetResourcesInput{ResourceARNList: []string{home, elsewhere, member, "arn:aws:s3:::gone"}}, inRegion("eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResourceTagMappingList) != 1 || aws.ToString(out.ResourceTagMappingList[0].ResourceARN) != home {
		t.Fatalf("answer %+v, want only the home account's eu-west-1 resource", out.ResourceTagMappingList)
	}
	tag := out.ResourceTagMappingList[0].Tags[0]
	if aws.ToString(tag.Key) != "project" || aws.ToString(tag.Value) != "apollo" {
		t.Errorf("tag %s=%s", aws.ToString(tag.Key), aws.ToString(tag.Value))
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].Region != "eu-west-1" || calls[0].Account != homeAccount || len(calls[0].ARNs) != 4 {
		t.Errorf("calls %+v", calls)
	}
}

func TestGetResourcesWithAssumedRoleCredentials(t *testing.T) {
	fake, client := newTaggingClient(t)
	stsFake := NewSTS(t)
	member := "arn:aws:rds:eu-west-1:444455556666:db:orders"
	fake.SetTags(memberAccount, "eu-west-1", member, map[string]string{"project": "apollo"})
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(Config(stsFake.URL())),
		"arn:aws:iam::444455556666:role/trailguard-tag-reader"))
	out, err := client.GetResources(t.Context(), &rgt.GetResourcesInput{ResourceARNList: []string{member}}, inRegion("eu-west-1"),
		func(o *rgt.Options) { o.Credentials = creds })
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResourceTagMappingList) != 1 {
		t.Fatalf("member resource through the member role: %+v", out.ResourceTagMappingList)
	}
	if c := fake.Calls(); c[0].Account != memberAccount {
		t.Errorf("call made as %s, want the member account", c[0].Account)
	}
}

func TestGetResourcesRejectsWhatAWSRejects(t *testing.T) {
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("arn:aws:ec2:eu-west-1:111122223333:instance/i-%d", i)
	}
	tests := []struct {
		name string
		in   rgt.GetResourcesInput
	}{
		{"101 ARNs", rgt.GetResourcesInput{ResourceARNList: tooMany}},
		{"ARNs with pagination", rgt.GetResourcesInput{ResourceARNList: tooMany[:2], ResourcesPerPage: aws.Int32(10)}},
		{"ARNs with filters", rgt.GetResourcesInput{ResourceARNList: tooMany[:2], ResourceTypeFilters: []string{"ec2:instance"}}},
		{"not an ARN", rgt.GetResourcesInput{ResourceARNList: []string{"i-123"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newTaggingClient(t)
			_, err := client.GetResources(t.Context(), &tt.in, inRegion("eu-west-1"))
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterException" {
				t.Fatalf("err = %v, want InvalidParameterException", err)
			}
			if n := len(fake.Calls()); n != 1 {
				t.Errorf("%d calls: a caller error must not be retried", n)
			}
		})
	}
}

func TestGetResourcesThrottlingIsRetried(t *testing.T) {
	fake, client := newTaggingClient(t)
	arn := "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"
	fake.SetTags(homeAccount, "eu-west-1", arn, map[string]string{})
	fake.FailNext(2, Throttling)
	out, err := client.GetResources(t.Context(), &rgt.GetResourcesInput{ResourceARNList: []string{arn}}, inRegion("eu-west-1"))
	if err != nil {
		t.Fatalf("after two throttles: %v", err)
	}
	if len(out.ResourceTagMappingList) != 1 || len(out.ResourceTagMappingList[0].Tags) != 0 {
		t.Errorf("answer %+v, want the resource with an empty tag set", out.ResourceTagMappingList)
	}
	var codes []string
	for _, c := range fake.Calls() {
		codes = append(codes, c.Error)
	}
	if strings.Join(codes, ",") != "ThrottlingException,ThrottlingException," {
		t.Errorf("answers %q, want two throttles then success", codes)
	}

	fake.FailNext(3, InternalError)
	_, err = client.GetResources(context.Background(), &rgt.GetResourcesInput{ResourceARNList: []string{arn}}, inRegion("eu-west-1"))
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalServiceException" {
		t.Errorf("after the SDK's 3 attempts: %v, want InternalServiceException", err)
	}
}

func TestTaggingRefusesUnsignedAndUnknownTokens(t *testing.T) {
	fake := NewTagging(t, homeAccount)
	req, _ := http.NewRequest(http.MethodPost, fake.URL()+"/", strings.NewReader(`{"ResourceARNList":["arn:aws:s3:::b"]}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "ResourceGroupsTaggingAPI_20170126.GetResources")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationToken" {
		t.Errorf("unsigned request: %d %s", res.StatusCode, res.Header.Get("X-Amzn-ErrorType"))
	}

	// Temporary credentials of the STS fake without their session token.
	client := rgt.NewFromConfig(Config(fake.URL()), func(o *rgt.Options) {
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "ASIA444455556666FAKE", SecretAccessKey: "x"}, nil
		})
	})
	_, err = client.GetResources(t.Context(), &rgt.GetResourcesInput{ResourceARNList: []string{"arn:aws:s3:::b"}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidClientTokenId" {
		t.Errorf("temporary key without token: %v, want InvalidClientTokenId", err)
	}
}

package awsfake

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

func newIAMClient(t *testing.T) (*IAM, *iam.Client) {
	t.Helper()
	fake := NewIAM(t, homeAccount)
	return fake, iam.NewFromConfig(Config(fake.URL()), func(o *iam.Options) { o.Retryer = fastRetries() })
}

func TestListUserTagsPaginates(t *testing.T) {
	fake, client := newIAMClient(t)
	fake.SetUserTags(homeAccount, "bob", map[string]string{"a": "1", "b": "2", "c": "3"})
	got := map[string]string{}
	p := iam.NewListUserTagsPaginator(client, &iam.ListUserTagsInput{UserName: aws.String("bob"), MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tag := range out.Tags {
			got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	if pages != 2 || len(got) != 3 || got["c"] != "3" {
		t.Errorf("%d pages, tags %v; want 2 pages of a=1 b=2 c=3", pages, got)
	}
}

func TestListRoleTagsOfTheCallersAccount(t *testing.T) {
	fake, client := newIAMClient(t)
	fake.SetRoleTags(homeAccount, "deploy", map[string]string{"env": "prod"})
	fake.SetRoleTags(memberAccount, "other", map[string]string{"env": "prod"})
	out, err := client.ListRoleTags(t.Context(), &iam.ListRoleTagsInput{RoleName: aws.String("deploy")})
	if err != nil || len(out.Tags) != 1 || out.IsTruncated {
		t.Fatalf("ListRoleTags = %+v, %v", out, err)
	}
	_, err = client.ListRoleTags(t.Context(), &iam.ListRoleTagsInput{RoleName: aws.String("other")})
	var gone *types.NoSuchEntityException
	if !errors.As(err, &gone) {
		t.Errorf("another account's role: %v, want NoSuchEntity (the caller's account has none)", err)
	}
}

func TestIAMFailures(t *testing.T) {
	fake, client := newIAMClient(t)
	fake.SetUserTags(homeAccount, "bob", map[string]string{"a": "1"})
	fake.FailNext(2, Throttling)
	if _, err := client.ListUserTags(t.Context(), &iam.ListUserTagsInput{UserName: aws.String("bob")}); err != nil {
		t.Fatalf("after two throttles: %v", err)
	}
	if n := len(fake.Calls()); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}

	fake.DeleteUser(homeAccount, "bob")
	_, err := client.ListUserTags(t.Context(), &iam.ListUserTagsInput{UserName: aws.String("bob")})
	var gone *types.NoSuchEntityException
	if !errors.As(err, &gone) {
		t.Errorf("deleted user: %v, want NoSuchEntityException", err)
	}

	// IAM is global: a request signed for another region is refused.
	regional := iam.NewFromConfig(Config(fake.URL()), func(o *iam.Options) { o.Region = "eu-west-1" })
	_, err = regional.ListUserTags(t.Context(), &iam.ListUserTagsInput{UserName: aws.String("bob")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("signed for eu-west-1: %v, want SignatureDoesNotMatch", err)
	}
}

package tags

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
)

// taggingCall is one GetResources call as the fake saw it, options applied.
type taggingCall struct {
	arns   []string
	region string
	creds  aws.CredentialsProvider
}

type fakeTagging struct {
	tags  map[string]Tags
	err   error
	calls []taggingCall
}

func (f *fakeTagging) GetResources(_ context.Context, in *rgt.GetResourcesInput, optFns ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error) {
	var o rgt.Options
	for _, fn := range optFns {
		fn(&o)
	}
	f.calls = append(f.calls, taggingCall{arns: in.ResourceARNList, region: o.Region, creds: o.Credentials})
	if f.err != nil {
		return nil, f.err
	}
	out := &rgt.GetResourcesOutput{}
	for _, arn := range in.ResourceARNList {
		if t, ok := f.tags[arn]; ok {
			m := rgttypes.ResourceTagMapping{ResourceARN: aws.String(arn)}
			for k, v := range t {
				m.Tags = append(m.Tags, rgttypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
		}
	}
	return out, nil
}

// fakeIAM serves user tags two to a page, and knows no role.
type fakeIAM struct {
	users map[string]Tags
	calls []string
}

func (f *fakeIAM) ListUserTags(_ context.Context, in *iam.ListUserTagsInput, _ ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	f.calls = append(f.calls, "user:"+aws.ToString(in.UserName)+":"+aws.ToString(in.Marker))
	t, ok := f.users[aws.ToString(in.UserName)]
	if !ok {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("no user")}
	}
	var all []iamtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(t)) { // a stable order across pages, as IAM's
		all = append(all, iamtypes.Tag{Key: aws.String(k), Value: aws.String(t[k])})
	}
	start := 0
	if in.Marker != nil {
		fmt.Sscan(*in.Marker, &start)
	}
	end := min(start+2, len(all))
	out := &iam.ListUserTagsOutput{Tags: all[start:end]}
	if end < len(all) {
		out.IsTruncated, out.Marker = true, aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeIAM) ListRoleTags(_ context.Context, in *iam.ListRoleTagsInput, _ ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	f.calls = append(f.calls, "role:"+aws.ToString(in.RoleName))
	return nil, &iamtypes.NoSuchEntityException{Message: aws.String("no role")}
}

// fakeAccounts hands out one provider per account, and fails for "denied" accounts.
type fakeAccounts struct {
	providers map[string]aws.CredentialsProvider
	denied    map[string]bool
}

func (f *fakeAccounts) For(_, account string) (aws.CredentialsProvider, error) {
	if f.denied[account] {
		return nil, errors.New("no role to assume in " + account)
	}
	return f.providers[account], nil
}

func TestAWSBatchesAtMost100ARNsPerCall(t *testing.T) {
	tagging := &fakeTagging{tags: map[string]Tags{}}
	var refs []Ref
	for i := range 150 {
		arn := fmt.Sprintf("arn:aws:ec2:us-east-1:111122223333:instance/i-%04d", i)
		tagging.tags[arn] = Tags{"n": fmt.Sprint(i)}
		refs = append(refs, Ref{ARN: arn, Account: "111122223333", Region: "us-east-1"})
	}
	got := (&AWS{Tagging: tagging}).Lookup(context.Background(), refs)
	if len(tagging.calls) != 2 || len(tagging.calls[0].arns) != 100 || len(tagging.calls[1].arns) != 50 {
		t.Fatalf("calls of %d ARNs, want 100 then 50", callSizes(tagging.calls))
	}
	for i, r := range refs {
		if a := got[r.ARN]; !a.Found || a.Tags["n"] != fmt.Sprint(i) {
			t.Fatalf("%s: %+v", r.ARN, a)
		}
	}
}

func callSizes(calls []taggingCall) []int {
	var n []int
	for _, c := range calls {
		n = append(n, len(c.arns))
	}
	return n
}

func TestAWSGroupsByAccountAndRegion(t *testing.T) {
	member := credentials.NewStaticCredentialsProvider("AKIDMEMBER", "secret", "token")
	tagging := &fakeTagging{tags: map[string]Tags{
		"arn:aws:ec2:us-east-1:111122223333:instance/i-1": {"project": "apollo"},
		"arn:aws:ec2:eu-west-1:111122223333:instance/i-2": {"project": "apollo"},
		"arn:aws:rds:us-east-1:222233334444:db:db1":       {"project": "apollo"},
	}}
	s := &AWS{Tagging: tagging, Accounts: &fakeAccounts{providers: map[string]aws.CredentialsProvider{"222233334444": member}}}
	got := s.Lookup(context.Background(), []Ref{
		{ARN: "arn:aws:ec2:us-east-1:111122223333:instance/i-1", Account: "111122223333", Region: "us-east-1"},
		{ARN: "arn:aws:ec2:eu-west-1:111122223333:instance/i-2", Account: "111122223333", Region: "eu-west-1"},
		{ARN: "arn:aws:rds:us-east-1:222233334444:db:db1", Account: "222233334444", Region: "us-east-1"},
		{ARN: "arn:aws:ec2:us-east-1:111122223333:instance/i-gone", Account: "111122223333", Region: "us-east-1"},
	})
	if len(tagging.calls) != 3 {
		t.Fatalf("%d calls, want one per (account, region): 3", len(tagging.calls))
	}
	for _, c := range tagging.calls {
		wantRegion := "us-east-1"
		if c.arns[0] == "arn:aws:ec2:eu-west-1:111122223333:instance/i-2" {
			wantRegion = "eu-west-1"
		}
		if c.region != wantRegion {
			t.Errorf("call for %v in region %q, want %q", c.arns, c.region, wantRegion)
		}
		member := c.arns[0] == "arn:aws:rds:us-east-1:222233334444:db:db1"
		if (c.creds != nil) != member {
			t.Errorf("call for %v with credentials %v: want the member role's only in the member account", c.arns, c.creds)
		}
	}
	if a := got["arn:aws:ec2:us-east-1:111122223333:instance/i-gone"]; a.Found || a.Err != nil {
		t.Errorf("unlisted resource: %+v, want not found, no error", a)
	}
	if a := got["arn:aws:rds:us-east-1:222233334444:db:db1"]; !a.Found || !a.Tags.Has("project", "apollo") {
		t.Errorf("member account resource: %+v", a)
	}
}

func TestAWSFailuresStayInTheirGroup(t *testing.T) {
	tagging := &fakeTagging{tags: map[string]Tags{"arn:aws:s3:::home-bucket": {"project": "apollo"}}}
	s := &AWS{Tagging: tagging, Accounts: &fakeAccounts{denied: map[string]bool{"222233334444": true}}}
	got := s.Lookup(context.Background(), []Ref{
		{ARN: "arn:aws:s3:::home-bucket", Account: "111122223333", Region: "us-east-1"},
		{ARN: "arn:aws:s3:::member-bucket", Account: "222233334444", Region: "us-east-1"},
	})
	if a := got["arn:aws:s3:::member-bucket"]; a.Err == nil {
		t.Errorf("member bucket without credentials: %+v, want an error", a)
	}
	if a := got["arn:aws:s3:::home-bucket"]; !a.Found || a.Err != nil {
		t.Errorf("home bucket: %+v, want found", a)
	}

	tagging.err = errors.New("ThrottlingException: Rate exceeded")
	got = s.Lookup(context.Background(), []Ref{{ARN: "arn:aws:s3:::home-bucket", Account: "111122223333", Region: "us-east-1"}})
	if a := got["arn:aws:s3:::home-bucket"]; a.Err == nil || a.Found {
		t.Errorf("failed GetResources: %+v, want the error", a)
	}
}

func TestAWSIAMThroughIAM(t *testing.T) {
	tagging := &fakeTagging{}
	ia := &fakeIAM{users: map[string]Tags{"bob": {"a": "1", "b": "2", "c": "3"}}}
	s := &AWS{Tagging: tagging, IAM: ia}
	got := s.Lookup(context.Background(), []Ref{
		{ARN: "arn:aws:iam::111122223333:user/ops/bob", Account: "111122223333", Region: "us-east-1"},
		{ARN: "arn:aws:iam::111122223333:role/deleted", Account: "111122223333", Region: "us-east-1"},
		{ARN: "arn:aws:iam::aws:policy/AdministratorAccess", Account: "111122223333", Region: "us-east-1"},
		{ARN: "arn:aws:s3:::bucket/object", Account: "111122223333", Region: "us-east-1"},
	})
	if len(tagging.calls) != 0 {
		t.Errorf("GetResources called for IAM or untaggable ARNs: %v", tagging.calls)
	}
	if a := got["arn:aws:iam::111122223333:user/ops/bob"]; !a.Found || len(a.Tags) != 3 {
		t.Errorf("user over two pages: %+v, want 3 tags", a)
	}
	if a := got["arn:aws:iam::111122223333:role/deleted"]; a.Found || a.Err != nil {
		t.Errorf("deleted role: %+v, want not found", a)
	}
	for _, arn := range []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:s3:::bucket/object"} {
		if a, ok := got[arn]; !ok || a.Found || a.Err != nil {
			t.Errorf("%s: %+v (answered %v), want an answer: not found", arn, a, ok)
		}
	}
	want := []string{"user:bob:", "user:bob:2", "role:deleted"}
	if fmt.Sprint(ia.calls) != fmt.Sprint(want) {
		t.Errorf("IAM calls %v, want %v", ia.calls, want)
	}
}

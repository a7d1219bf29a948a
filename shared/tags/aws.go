package tags

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
)

// MaxARNsPerCall is GetResources' limit on ResourceARNList.
const MaxARNsPerCall = 100

// TaggingAPI is the part of the Resource Groups Tagging API client the lookup uses.
type TaggingAPI interface {
	GetResources(ctx context.Context, in *rgt.GetResourcesInput, optFns ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error)
}

// IAMAPI is the part of the IAM client the lookup uses: the tagging API cannot see IAM
// users and roles.
type IAMAPI interface {
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, optFns ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
	ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, optFns ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error)
}

// credentialSource gives the credentials of an account (nil: the clients' own).
type credentialSource interface {
	For(partition, account string) (aws.CredentialsProvider, error)
}

// AWS reads tags from the live APIs: GetResources in each resource's region and account, at
// most MaxARNsPerCall ARNs a call, and ListUserTags/ListRoleTags for IAM users and roles.
// Throttling is retried by the clients' retryer; what still fails is reported per resource.
type AWS struct {
	Tagging  TaggingAPI
	IAM      IAMAPI
	Accounts credentialSource
}

// batch is the resources read with one set of credentials in one region.
type batch struct {
	partition, account, region string
	iam                        bool
}

// Lookup implements Source.
func (s *AWS) Lookup(ctx context.Context, refs []Ref) map[string]Answer {
	out := make(map[string]Answer, len(refs))
	groups := map[batch][]string{}
	var order []batch
	for _, r := range refs {
		a, ok := ParseARN(r.ARN)
		if !ok || !taggable(a) {
			out[r.ARN] = Answer{} // nothing can read its tags: it has none we can know
			continue
		}
		b := batch{partition: a.Partition, account: r.Account, region: r.Region, iam: a.Service == "iam"}
		if b.iam {
			b.region = ""
		}
		if _, seen := groups[b]; !seen {
			order = append(order, b)
		}
		groups[b] = append(groups[b], r.ARN)
	}
	for _, b := range order {
		arns := groups[b]
		creds, err := s.credentials(b)
		if err != nil {
			for _, arn := range arns {
				out[arn] = Answer{Err: err}
			}
			continue
		}
		if b.iam {
			for _, arn := range arns {
				out[arn] = s.iamTags(ctx, arn, creds)
			}
			continue
		}
		for chunk := range chunks(arns, MaxARNsPerCall) {
			s.getResources(ctx, b, chunk, creds, out)
		}
	}
	return out
}

func (s *AWS) credentials(b batch) (aws.CredentialsProvider, error) {
	if s.Accounts == nil {
		return nil, nil
	}
	return s.Accounts.For(b.partition, b.account)
}

// taggable reports whether the tagging API or IAM can read the resource's tags: IAM only for
// users and roles (the tagging API sees no IAM resource), S3 only for buckets.
func taggable(a ARN) bool {
	switch a.Service {
	case "iam":
		return strings.HasPrefix(a.Resource, "user/") || strings.HasPrefix(a.Resource, "role/")
	case "sts":
		return false
	case "s3":
		return !strings.Contains(a.Resource, "/")
	}
	return true
}

func chunks(s []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// getResources reads one chunk of ARNs; resources GetResources does not list are not found.
func (s *AWS) getResources(ctx context.Context, b batch, arns []string, creds aws.CredentialsProvider, out map[string]Answer) {
	res, err := s.Tagging.GetResources(ctx, &rgt.GetResourcesInput{ResourceARNList: arns}, func(o *rgt.Options) {
		o.Region = b.region
		if creds != nil {
			o.Credentials = creds
		}
	})
	if err != nil {
		err = fmt.Errorf("tag:GetResources in %s %s: %w", b.account, b.region, err)
		for _, arn := range arns {
			out[arn] = Answer{Err: err}
		}
		return
	}
	for _, arn := range arns {
		out[arn] = Answer{}
	}
	for _, m := range res.ResourceTagMappingList {
		arn := aws.ToString(m.ResourceARN)
		if _, asked := out[arn]; !asked {
			continue
		}
		t := make(Tags, len(m.Tags))
		for _, tag := range m.Tags {
			t[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		out[arn] = Answer{Tags: t, Found: true}
	}
}

// iamTags reads an IAM user's or role's tags, every page; NoSuchEntity means deleted.
func (s *AWS) iamTags(ctx context.Context, arn string, creds aws.CredentialsProvider) Answer {
	a, _ := ParseARN(arn)
	name := iamName(a.Resource)
	opt := func(o *iam.Options) {
		if creds != nil {
			o.Credentials = creds
		}
	}
	t := Tags{}
	var marker *string
	for {
		var tags []iamtypes.Tag
		var truncated bool
		var err error
		if strings.HasPrefix(a.Resource, "user/") {
			var res *iam.ListUserTagsOutput
			if res, err = s.IAM.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: &name, Marker: marker}, opt); err == nil {
				tags, truncated, marker = res.Tags, res.IsTruncated, res.Marker
			}
		} else {
			var res *iam.ListRoleTagsOutput
			if res, err = s.IAM.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: &name, Marker: marker}, opt); err == nil {
				tags, truncated, marker = res.Tags, res.IsTruncated, res.Marker
			}
		}
		var gone *iamtypes.NoSuchEntityException
		switch {
		case errors.As(err, &gone):
			return Answer{}
		case err != nil:
			return Answer{Err: fmt.Errorf("iam tags of %s in %s: %w", arn, a.Account, err)}
		}
		for _, tag := range tags {
			t[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if !truncated || marker == nil {
			return Answer{Tags: t, Found: true}
		}
	}
}

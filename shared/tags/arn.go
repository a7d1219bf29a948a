package tags

import "strings"

// ARN is an Amazon Resource Name split into its parts:
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits s. It reports false for anything that is not an ARN with a partition, a
// service and a resource (CloudTrail records sometimes carry placeholders like "arn::::x").
func ParseARN(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// String joins the parts back into an ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// Partition returns the AWS partition a region belongs to, so ARNs built for China or
// GovCloud resources name the right one.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	default:
		return "aws"
	}
}

// iamName returns the last path segment of an IAM user or role ARN's resource
// ("user/division/alice" → "alice"): IAM's tag calls take the bare name.
func iamName(resource string) string {
	return resource[strings.LastIndexByte(resource, '/')+1:]
}

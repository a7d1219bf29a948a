package tags

import (
	"strings"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// Resource is one resource a record touched.
type Resource struct {
	ARN     string
	Type    string // CloudFormation type name, e.g. AWS::EC2::Instance
	Account string // the account that owns it: where its tags are read
	Region  string // the region its tags are read in
	// TagsOf is the ARN whose tags attribute this resource: itself, or for an S3 object its bucket.
	TagsOf string
	// RequestTags are the tags the request itself gave the resource (a create call's tags, or a
	// whole new tag set such as PutBucketTagging's); nil when the request set none.
	RequestTags Tags
}

// Touched is what a record says about the resources it touched.
type Touched struct {
	Resources []Resource
	// Account is the account the event belongs to: Extract takes the record's
	// recipientAccountId, the caller sets the EventBridge envelope's when it has one. Only
	// resources of this account are looked up (Resolver): an account named only inside the
	// request (a key ARN in 999999999999) is never read, nor a role assumed there.
	Account string
	// RequestTags are the tags the request carried for what it created, kept for the record
	// of a change with no resource (a failed create has tags but no resource ID yet).
	RequestTags Tags
	// TagChange marks a call that changed tags in place (CreateTags, TagResource, UntagUser…):
	// cached tags of its resources are stale, and its request tags are a delta, not a tag set.
	TagChange bool
}

// Extract finds the resources rec touched: the ARNs of its resources[] list when CloudTrail
// gives one, otherwise the identifiers in the request and response of the common services,
// turned into ARNs in the record's partition, region and account. Unknown services and
// malformed parameters yield no resource, never an error: the change is still recorded.
func Extract(rec *trail.Record) Touched {
	x := newExtraction(rec)
	x.fromList()
	listed := x.out
	x.out, x.seen = nil, map[string]bool{}
	if fn := extractors[rec.EventSource]; fn != nil {
		fn(x) // the request's tags, and the resources when resources[] names none
	}
	if len(listed) > 0 {
		x.out = listed
	}
	t := Touched{Resources: x.out, Account: rec.RecipientAccountID, TagChange: isTagChange(rec.EventName)}
	if !t.TagChange {
		t.RequestTags = x.createTags
		if t.RequestTags == nil {
			t.RequestTags = x.fallbackTags
		}
		for i := range t.Resources {
			if t.Resources[i].RequestTags == nil {
				t.Resources[i].RequestTags = x.createTags
			}
		}
	}
	return t
}

// extractors maps an eventSource to the function that reads its request and response.
var extractors = map[string]func(*extraction){
	"ec2.amazonaws.com":                  extractEC2,
	"s3.amazonaws.com":                   extractS3,
	"rds.amazonaws.com":                  extractRDS,
	"elasticloadbalancing.amazonaws.com": extractELB,
	"lambda.amazonaws.com":               extractLambda,
	"dynamodb.amazonaws.com":             extractDynamoDB,
	"kms.amazonaws.com":                  extractKMS,
	"sns.amazonaws.com":                  extractSNS,
	"sqs.amazonaws.com":                  extractSQS,
	"iam.amazonaws.com":                  extractIAM,
}

// extraction is the state of one Extract: the decoded request and response, and where
// ARNs built from bare identifiers live.
type extraction struct {
	rec                        *trail.Record
	req, resp                  map[string]any
	partition, region, account string
	out                        []Resource
	seen                       map[string]bool
	// createTags are the request's tags when the call creates the resource (nil otherwise);
	// every resource found takes them unless it has its own.
	createTags Tags
	// fallbackTags attribute a change that yielded no resource (EC2's per-type tag
	// specifications of a failed RunInstances); resources found never take them.
	fallbackTags Tags
}

func newExtraction(rec *trail.Record) *extraction {
	x := &extraction{
		rec:     rec,
		req:     object(rec.RequestParameters),
		resp:    object(rec.ResponseElements),
		region:  rec.AWSRegion,
		account: rec.Account(),
		seen:    map[string]bool{},
	}
	x.partition = Partition(x.region)
	if a, ok := ParseARN(rec.UserIdentity.ARN); ok {
		x.partition = a.Partition // the caller's partition is the resource's
	}
	return x
}

// object decodes a request or response; anything but a JSON object (null, a string) is none.
func object(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// fromList takes the record's resources[] entries that carry an ARN.
func (x *extraction) fromList() {
	for _, r := range x.rec.Resources {
		if r.ARN == "" {
			r.ARN = r.Unparsed // a stringified entry: use it when it is an ARN
		}
		a, ok := ParseARN(r.ARN)
		if !ok {
			continue
		}
		typ := r.Type
		if typ == "" {
			typ = typeOf(a)
		}
		account := r.AccountID
		if account == "" {
			account = a.Account
		}
		x.addARN(a, typ, account, nil)
	}
}

// arn builds an ARN of the record's partition, region and account.
func (x *extraction) arn(service, resource string) ARN {
	return ARN{Partition: x.partition, Service: service, Region: x.region, Account: x.account, Resource: resource}
}

// addID adds a resource built from a bare identifier, or taken whole when id is already an ARN.
func (x *extraction) addID(service, prefix, id string, tags Tags) {
	if id == "" {
		return
	}
	if a, ok := ParseARN(id); ok {
		x.addARN(a, typeOf(a), a.Account, tags)
		return
	}
	x.addARN(x.arn(service, prefix+id), "", "", tags)
}

// addARNString adds s when it is an ARN (parameters that name a resource by ARN only).
func (x *extraction) addARNString(s string) {
	if a, ok := ParseARN(s); ok {
		x.addARN(a, "", a.Account, nil)
	}
}

// addARN adds a resource once; empty type and account are derived.
func (x *extraction) addARN(a ARN, typ, account string, tags Tags) {
	s := a.String()
	if x.seen[s] {
		return
	}
	x.seen[s] = true
	if typ == "" {
		typ = typeOf(a)
	}
	if account == "" {
		account = x.account
	}
	region := a.Region
	if region == "" {
		region = x.region // S3 buckets: the record's region is the bucket's
	}
	r := Resource{ARN: s, Type: typ, Account: account, Region: region, TagsOf: s, RequestTags: tags}
	if a.Service == "s3" {
		if bucket, _, isObject := strings.Cut(a.Resource, "/"); isObject {
			a.Resource = bucket
			r.TagsOf = a.String()
		}
	}
	x.out = append(x.out, r)
}

// typeOf names the resource type of an ARN as CloudFormation does, for the common services,
// and as service:type otherwise.
func typeOf(a ARN) string {
	kind, rest := a.Resource, ""
	if i := strings.IndexAny(kind, "/:"); i >= 0 {
		kind, rest = kind[:i], kind[i+1:]
	}
	switch a.Service + ":" + kind {
	case "ec2:instance":
		return "AWS::EC2::Instance"
	case "ec2:volume":
		return "AWS::EC2::Volume"
	case "ec2:security-group":
		return "AWS::EC2::SecurityGroup"
	case "ec2:vpc":
		return "AWS::EC2::VPC"
	case "rds:db":
		return "AWS::RDS::DBInstance"
	case "rds:cluster":
		return "AWS::RDS::DBCluster"
	case "lambda:function":
		return "AWS::Lambda::Function"
	case "dynamodb:table":
		return "AWS::DynamoDB::Table"
	case "kms:key":
		return "AWS::KMS::Key"
	case "iam:user":
		return "AWS::IAM::User"
	case "iam:role":
		return "AWS::IAM::Role"
	case "elasticloadbalancing:loadbalancer":
		if strings.HasPrefix(rest, "app/") || strings.HasPrefix(rest, "net/") || strings.HasPrefix(rest, "gwy/") {
			return "AWS::ElasticLoadBalancingV2::LoadBalancer"
		}
		return "AWS::ElasticLoadBalancing::LoadBalancer"
	}
	switch a.Service {
	case "s3":
		if strings.Contains(a.Resource, "/") {
			return "AWS::S3::Object"
		}
		return "AWS::S3::Bucket"
	case "sns":
		return "AWS::SNS::Topic"
	case "sqs":
		return "AWS::SQS::Queue"
	}
	return a.Service + ":" + kind
}

// isTagChange reports calls that add, change or remove tags of existing resources.
func isTagChange(eventName string) bool {
	switch eventName {
	case "CreateTags", "DeleteTags", "AddTags", "RemoveTags", "AddTagsToResource", "RemoveTagsFromResource",
		"DeleteBucketTagging":
		return true
	}
	return strings.HasPrefix(eventName, "Tag") || strings.HasPrefix(eventName, "Untag")
}

// get walks nested objects; nil when a step is missing or not an object.
func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[p]
	}
	return v
}

// str is get for a string value ("" for anything else).
func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	return s
}

// list returns the elements of a JSON array, or of EC2's {"items": [...]} wrapper; a lone
// object (what an XML list of one becomes) is a list of one.
func list(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case map[string]any:
		if items, ok := t["items"]; ok {
			return list(items)
		}
		return []any{t}
	}
	return nil
}

// field collects the string field name of each object in a list.
func field(v any, name string) []string {
	var out []string
	for _, e := range list(v) {
		if o, ok := e.(map[string]any); ok {
			if s, ok := o[name].(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// stringList collects the strings of a list of strings.
func stringList(v any) []string {
	var out []string
	for _, e := range list(v) {
		if s, ok := e.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

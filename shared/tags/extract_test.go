package tags

import (
	"reflect"
	"testing"

	"github.com/trailguard/trailguard/shared/trail"
)

// record decodes a CloudTrail record written as the tests need it.
func record(t *testing.T, js string) *trail.Record {
	t.Helper()
	rec, err := trail.DecodeRecord([]byte(js))
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return rec
}

func TestExtract(t *testing.T) {
	const acct = `"recipientAccountId": "111122223333", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333"}`
	tests := []struct {
		name      string
		rec       string
		want      []Resource
		reqTags   Tags
		tagChange bool
	}{
		{
			name: "RunInstances: instances from the response, tags from the instance tag specification",
			rec: `{"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "awsRegion": "us-east-2", ` + acct + `,
				"requestParameters": {"instancesSet": {"items": [{"imageId": "ami-0abc", "minCount": 2, "maxCount": 2}]},
					"tagSpecificationSet": {"items": [
						{"resourceType": "instance", "tags": [{"key": "project", "value": "apollo"}, {"key": "env", "value": "prod"}]},
						{"resourceType": "volume", "tags": [{"key": "project", "value": "apollo-disks"}]}]}},
				"responseElements": {"instancesSet": {"items": [{"instanceId": "i-0a1b2c3d4e5f60001"}, {"instanceId": "i-0a1b2c3d4e5f60002"}]}}}`,
			want: []Resource{
				{ARN: "arn:aws:ec2:us-east-2:111122223333:instance/i-0a1b2c3d4e5f60001", Type: "AWS::EC2::Instance", Account: "111122223333", Region: "us-east-2", RequestTags: Tags{"project": "apollo", "env": "prod"}},
				{ARN: "arn:aws:ec2:us-east-2:111122223333:instance/i-0a1b2c3d4e5f60002", Type: "AWS::EC2::Instance", Account: "111122223333", Region: "us-east-2", RequestTags: Tags{"project": "apollo", "env": "prod"}},
			},
			reqTags: Tags{"project": "apollo-disks", "env": "prod"},
		},
		{
			name: "failed RunInstances: no resource, the request's tags still attribute the attempt",
			rec: `{"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "awsRegion": "us-east-1", "errorCode": "Client.UnauthorizedOperation", ` + acct + `,
				"requestParameters": {"instancesSet": {"items": [{"imageId": "ami-0abc", "minCount": 1, "maxCount": 1}]},
					"tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "project", "value": "apollo"}]}]}},
				"responseElements": null}`,
			reqTags: Tags{"project": "apollo"},
		},
		{
			name: "StopInstances: the request's instancesSet, the response's echo deduplicated",
			rec: `{"eventSource": "ec2.amazonaws.com", "eventName": "StopInstances", "awsRegion": "eu-west-1", ` + acct + `,
				"requestParameters": {"force": false, "instancesSet": {"items": [{"instanceId": "i-1"}, {"instanceId": "i-2"}]}},
				"responseElements": {"instancesSet": {"items": [{"instanceId": "i-2", "currentState": {"code": 64, "name": "stopping"}}, {"instanceId": "i-1"}]}}}`,
			want: []Resource{
				{ARN: "arn:aws:ec2:eu-west-1:111122223333:instance/i-2", Type: "AWS::EC2::Instance", Account: "111122223333", Region: "eu-west-1"},
				{ARN: "arn:aws:ec2:eu-west-1:111122223333:instance/i-1", Type: "AWS::EC2::Instance", Account: "111122223333", Region: "eu-west-1"},
			},
		},
		{
			name: "CreateSecurityGroup: the group, not the VPC it names",
			rec: `{"eventSource": "ec2.amazonaws.com", "eventName": "CreateSecurityGroup", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"groupName": "web", "groupDescription": "web", "vpcId": "vpc-a1a044c7"},
				"responseElements": {"_return": true, "groupId": "sg-04d018d184a18f647"}}`,
			want: []Resource{{ARN: "arn:aws:ec2:us-east-1:111122223333:security-group/sg-04d018d184a18f647", Type: "AWS::EC2::SecurityGroup", Account: "111122223333", Region: "us-east-1"}},
		},
		{
			name: "CreateVpc: the response's vpc.vpcId",
			rec: `{"eventSource": "ec2.amazonaws.com", "eventName": "CreateVpc", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"cidrBlock": "10.0.0.0/16"}, "responseElements": {"vpc": {"vpcId": "vpc-1"}}}`,
			want: []Resource{{ARN: "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1", Type: "AWS::EC2::VPC", Account: "111122223333", Region: "us-east-1"}},
		},
		{
			name: "CreateVolume in China: partition aws-cn, volume tag specification",
			rec: `{"eventSource": "ec2.amazonaws.com", "eventName": "CreateVolume", "awsRegion": "cn-north-1", "recipientAccountId": "444455556666",
				"userIdentity": {"type": "AssumedRole", "arn": "arn:aws-cn:sts::444455556666:assumed-role/ops/bob", "accountId": "444455556666"},
				"requestParameters": {"size": 8, "tagSpecificationSet": {"items": [{"resourceType": "volume", "tags": [{"key": "owner", "value": "bob"}]}]}},
				"responseElements": {"volumeId": "vol-0123"}}`,
			want:    []Resource{{ARN: "arn:aws-cn:ec2:cn-north-1:444455556666:volume/vol-0123", Type: "AWS::EC2::Volume", Account: "444455556666", Region: "cn-north-1", RequestTags: Tags{"owner": "bob"}}},
			reqTags: Tags{"owner": "bob"},
		},
		{
			name: "CreateTags: a tag change on the resources it names, request tags are a delta",
			rec: `{"eventSource": "ec2.amazonaws.com", "eventName": "CreateTags", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"resourcesSet": {"items": [{"resourceId": "i-9"}, {"resourceId": "ami-1"}]},
					"tagSet": {"items": [{"key": "project", "value": "apollo"}]}}, "responseElements": {"_return": true}}`,
			want:      []Resource{{ARN: "arn:aws:ec2:us-east-1:111122223333:instance/i-9", Type: "AWS::EC2::Instance", Account: "111122223333", Region: "us-east-1"}},
			tagChange: true,
		},
		{
			name: "PutBucketTagging: the bucket from resources[], with the whole new tag set from the request",
			rec: `{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketTagging", "awsRegion": "eu-north-1", ` + acct + `,
				"requestParameters": {"Tagging": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "TagSet": {"Tag": [{"Value": "apollo", "Key": "project"}, {"Value": "kim", "Key": "owner"}]}},
					"tagging": "", "bucketName": "apollo-data", "Host": "s3.eu-north-1.amazonaws.com"}, "responseElements": null,
				"resources": [{"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::apollo-data"}]}`,
			want:    []Resource{{ARN: "arn:aws:s3:::apollo-data", Type: "AWS::S3::Bucket", Account: "111122223333", Region: "eu-north-1", RequestTags: Tags{"project": "apollo", "owner": "kim"}}},
			reqTags: Tags{"project": "apollo", "owner": "kim"},
		},
		{
			name: "DeleteBucket: the bucket, no request tags",
			rec: `{"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket", "awsRegion": "us-east-2", ` + acct + `,
				"requestParameters": {"bucketName": "secrets", "host": ["s3-us-east-2.amazonaws.com"]}, "responseElements": null}`,
			want: []Resource{{ARN: "arn:aws:s3:::secrets", Type: "AWS::S3::Bucket", Account: "111122223333", Region: "us-east-2"}},
		},
		{
			name: "CopyObject: resources[] wins; an object's tags are its bucket's",
			rec: `{"eventSource": "s3.amazonaws.com", "eventName": "CopyObject", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"bucketName": "victim", "key": "f.txt"},
				"resources": [{"ARN": "arn:aws:s3:::victim/f.txt", "type": "AWS::S3::Object"},
					{"ARN": "arn:aws:kms:us-east-1:999999999999:key/k1", "accountId": "999999999999", "type": "AWS::KMS::Key"}]}`,
			want: []Resource{
				{ARN: "arn:aws:s3:::victim/f.txt", Type: "AWS::S3::Object", Account: "111122223333", Region: "us-east-1", TagsOf: "arn:aws:s3:::victim"},
				{ARN: "arn:aws:kms:us-east-1:999999999999:key/k1", Type: "AWS::KMS::Key", Account: "999999999999", Region: "us-east-1"},
			},
		},
		{
			name: "resources[] with a placeholder ARN: fall back to the request (DescribeTable's tableName)",
			rec: `{"eventSource": "dynamodb.amazonaws.com", "eventName": "DescribeTable", "awsRegion": "us-west-2", ` + acct + `,
				"requestParameters": {"tableName": "table"}, "resources": [{"ARN": "arn::::table/table", "accountId": "123456789012", "type": "AWS::DynamoDB::Table"}]}`,
			want: []Resource{{ARN: "arn:aws:dynamodb:us-west-2:111122223333:table/table", Type: "AWS::DynamoDB::Table", Account: "111122223333", Region: "us-west-2"}},
		},
		{
			name: "CreateDBInstance: the response's dBInstanceArn, tags from the request",
			rec: `{"eventSource": "rds.amazonaws.com", "eventName": "CreateDBInstance", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"dBInstanceIdentifier": "apollo-db", "engine": "postgres", "tags": [{"key": "project", "value": "apollo"}]},
				"responseElements": {"dBInstanceArn": "arn:aws:rds:us-east-1:111122223333:db:apollo-db", "dBInstanceIdentifier": "apollo-db"}}`,
			want:    []Resource{{ARN: "arn:aws:rds:us-east-1:111122223333:db:apollo-db", Type: "AWS::RDS::DBInstance", Account: "111122223333", Region: "us-east-1", RequestTags: Tags{"project": "apollo"}}},
			reqTags: Tags{"project": "apollo"},
		},
		{
			name: "ModifyDBInstance: the identifier becomes db:ID",
			rec: `{"eventSource": "rds.amazonaws.com", "eventName": "ModifyDBInstance", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"applyImmediately": true, "dBInstanceIdentifier": "production-mysql", "deletionProtection": false},
				"responseElements": {"dBInstanceIdentifier": "production-mysql"}}`,
			want: []Resource{{ARN: "arn:aws:rds:us-east-1:111122223333:db:production-mysql", Type: "AWS::RDS::DBInstance", Account: "111122223333", Region: "us-east-1"}},
		},
		{
			name: "FailoverDBCluster: the cluster, not its target instance",
			rec: `{"eventSource": "rds.amazonaws.com", "eventName": "FailoverDBCluster", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"dBClusterIdentifier": "aurora-prod", "targetDBInstanceIdentifier": "aurora-2"}}`,
			want: []Resource{{ARN: "arn:aws:rds:us-east-1:111122223333:cluster:aurora-prod", Type: "AWS::RDS::DBCluster", Account: "111122223333", Region: "us-east-1"}},
		},
		{
			name: "CreateLoadBalancer (v2): the response's loadBalancerArn",
			rec: `{"eventSource": "elasticloadbalancing.amazonaws.com", "eventName": "CreateLoadBalancer", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"name": "web", "tags": [{"key": "env", "value": "prod"}]},
				"responseElements": {"loadBalancers": [{"loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188"}]}}`,
			want:    []Resource{{ARN: "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188", Type: "AWS::ElasticLoadBalancingV2::LoadBalancer", Account: "111122223333", Region: "us-east-1", RequestTags: Tags{"env": "prod"}}},
			reqTags: Tags{"env": "prod"},
		},
		{
			name: "Classic ELB: loadBalancerName",
			rec: `{"eventSource": "elasticloadbalancing.amazonaws.com", "eventName": "DeleteLoadBalancer", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"loadBalancerName": "legacy-web"}}`,
			want: []Resource{{ARN: "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/legacy-web", Type: "AWS::ElasticLoadBalancing::LoadBalancer", Account: "111122223333", Region: "us-east-1"}},
		},
		{
			name: "CreateFunction20150331: functionArn, tags map",
			rec: `{"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"functionName": "f", "tags": {"project": "apollo"}},
				"responseElements": {"functionName": "f", "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:f"}}`,
			want:    []Resource{{ARN: "arn:aws:lambda:us-east-1:111122223333:function:f", Type: "AWS::Lambda::Function", Account: "111122223333", Region: "us-east-1", RequestTags: Tags{"project": "apollo"}}},
			reqTags: Tags{"project": "apollo"},
		},
		{
			name: "Lambda functionName as a qualified ARN of another account: the unqualified function",
			rec: `{"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration20150331v2", "awsRegion": "us-west-2", ` + acct + `,
				"requestParameters": {"functionName": "arn:aws:lambda:us-west-2:222233334444:function:api:prod"}}`,
			want: []Resource{{ARN: "arn:aws:lambda:us-west-2:222233334444:function:api", Type: "AWS::Lambda::Function", Account: "222233334444", Region: "us-west-2"}},
		},
		{
			name: "Lambda functionName as a partial ARN",
			rec: `{"eventSource": "lambda.amazonaws.com", "eventName": "DeleteFunction20150331", "awsRegion": "us-west-2", ` + acct + `,
				"requestParameters": {"functionName": "222233334444:function:api"}}`,
			want: []Resource{{ARN: "arn:aws:lambda:us-west-2:222233334444:function:api", Type: "AWS::Lambda::Function", Account: "222233334444", Region: "us-west-2"}},
		},
		{
			name: "CreateTable: tableDescription.tableArn",
			rec: `{"eventSource": "dynamodb.amazonaws.com", "eventName": "CreateTable", "awsRegion": "us-west-2", ` + acct + `,
				"requestParameters": {"tableName": "Music", "tags": [{"key": "owner", "value": "kim"}]},
				"responseElements": {"tableDescription": {"tableName": "Music", "tableArn": "arn:aws:dynamodb:us-west-2:111122223333:table/Music"}}}`,
			want:    []Resource{{ARN: "arn:aws:dynamodb:us-west-2:111122223333:table/Music", Type: "AWS::DynamoDB::Table", Account: "111122223333", Region: "us-west-2", RequestTags: Tags{"owner": "kim"}}},
			reqTags: Tags{"owner": "kim"},
		},
		{
			name: "CreateKey: keyMetadata.arn, tagKey/tagValue pairs",
			rec: `{"eventSource": "kms.amazonaws.com", "eventName": "CreateKey", "awsRegion": "us-west-2", ` + acct + `,
				"requestParameters": {"keyUsage": "ENCRYPT_DECRYPT", "tags": [{"tagKey": "project", "tagValue": "apollo"}]},
				"responseElements": {"keyMetadata": {"keyId": "1234abcd", "arn": "arn:aws:kms:us-west-2:111122223333:key/1234abcd"}}}`,
			want:    []Resource{{ARN: "arn:aws:kms:us-west-2:111122223333:key/1234abcd", Type: "AWS::KMS::Key", Account: "111122223333", Region: "us-west-2", RequestTags: Tags{"project": "apollo"}}},
			reqTags: Tags{"project": "apollo"},
		},
		{
			name: "KMS alias names no key",
			rec: `{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "awsRegion": "us-west-2", ` + acct + `,
				"requestParameters": {"keyId": "alias/apollo"}}`,
		},
		{
			name: "CreateTopic: responseElements.topicArn",
			rec: `{"eventSource": "sns.amazonaws.com", "eventName": "CreateTopic", "awsRegion": "us-west-2", ` + acct + `,
				"requestParameters": {"name": "hello"}, "responseElements": {"topicArn": "arn:aws:sns:us-west-2:111122223333:hello"}}`,
			want: []Resource{{ARN: "arn:aws:sns:us-west-2:111122223333:hello", Type: "AWS::SNS::Topic", Account: "111122223333", Region: "us-west-2"}},
		},
		{
			name: "CreateQueue: queue from the URL, tags map",
			rec: `{"eventSource": "sqs.amazonaws.com", "eventName": "CreateQueue", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"queueName": "jobs", "tags": {"team": "security"}},
				"responseElements": {"queueUrl": "https://sqs.us-east-1.amazonaws.com/111122223333/jobs"}}`,
			want:    []Resource{{ARN: "arn:aws:sqs:us-east-1:111122223333:jobs", Type: "AWS::SQS::Queue", Account: "111122223333", Region: "us-east-1", RequestTags: Tags{"team": "security"}}},
			reqTags: Tags{"team": "security"},
		},
		{
			name: "CreateUser: user.arn keeps the path",
			rec: `{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"userName": "bob", "path": "/ops/", "tags": [{"key": "cost-center", "value": "cc-42"}]},
				"responseElements": {"user": {"userName": "bob", "arn": "arn:aws:iam::111122223333:user/ops/bob"}}}`,
			want:    []Resource{{ARN: "arn:aws:iam::111122223333:user/ops/bob", Type: "AWS::IAM::User", Account: "111122223333", Region: "us-east-1", RequestTags: Tags{"cost-center": "cc-42"}}},
			reqTags: Tags{"cost-center": "cc-42"},
		},
		{
			name: "AttachRolePolicy: roleName → role/NAME, no region",
			rec: `{"eventSource": "iam.amazonaws.com", "eventName": "AttachRolePolicy", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "roleName": "deploy"}}`,
			want: []Resource{{ARN: "arn:aws:iam::111122223333:role/deploy", Type: "AWS::IAM::Role", Account: "111122223333", Region: "us-east-1"}},
		},
		{
			name: "TagRole: a tag change",
			rec: `{"eventSource": "iam.amazonaws.com", "eventName": "TagRole", "awsRegion": "us-east-1", ` + acct + `,
				"requestParameters": {"roleName": "deploy", "tags": [{"key": "env", "value": "prod"}]}}`,
			want:      []Resource{{ARN: "arn:aws:iam::111122223333:role/deploy", Type: "AWS::IAM::Role", Account: "111122223333", Region: "us-east-1"}},
			tagChange: true,
		},
		{
			name: "unknown service: no resource",
			rec:  `{"eventSource": "macie2.amazonaws.com", "eventName": "UpdateMacieSession", "awsRegion": "us-east-1", ` + acct + `, "requestParameters": {"status": "PAUSED"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(record(t, tt.rec))
			for i := range tt.want {
				if tt.want[i].TagsOf == "" {
					tt.want[i].TagsOf = tt.want[i].ARN
				}
			}
			if !reflect.DeepEqual(got.Resources, tt.want) {
				t.Errorf("resources\n got %+v\nwant %+v", got.Resources, tt.want)
			}
			if !reflect.DeepEqual(got.RequestTags, tt.reqTags) {
				t.Errorf("request tags = %v, want %v", got.RequestTags, tt.reqTags)
			}
			if got.TagChange != tt.tagChange {
				t.Errorf("TagChange = %v, want %v", got.TagChange, tt.tagChange)
			}
		})
	}
}

func TestParseTags(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want Tags
		ok   bool
	}{
		{"key/value list", []any{map[string]any{"key": "a", "value": "1"}}, Tags{"a": "1"}, true},
		{"Key/Value list", []any{map[string]any{"Key": "a", "Value": "1"}}, Tags{"a": "1"}, true},
		{"tagKey/tagValue list", []any{map[string]any{"tagKey": "a", "tagValue": "1"}}, Tags{"a": "1"}, true},
		{"value missing is empty", []any{map[string]any{"key": "a"}}, Tags{"a": ""}, true},
		{"map", map[string]any{"a": "1", "b": "2"}, Tags{"a": "1", "b": "2"}, true},
		{"EC2 items", map[string]any{"items": []any{map[string]any{"key": "a", "value": "1"}}}, Tags{"a": "1"}, true},
		{"S3 single Tag object", map[string]any{"TagSet": map[string]any{"Tag": map[string]any{"Key": "a", "Value": "1"}}}, Tags{"a": "1"}, true},
		{"empty EC2 set", map[string]any{"items": []any{}}, Tags{}, true},
		{"empty string", "", nil, false},
		{"list of strings", []any{"a"}, nil, false},
		{"map with non-string value", map[string]any{"a": 1.0}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseTags(tt.in)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseTags = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseARN(t *testing.T) {
	tests := []struct {
		in   string
		want ARN
		ok   bool
	}{
		{"arn:aws:s3:::bucket", ARN{Partition: "aws", Service: "s3", Resource: "bucket"}, true},
		{"arn:aws:rds:us-east-1:1:db:x", ARN{"aws", "rds", "us-east-1", "1", "db:x"}, true},
		{"arn::::table/table", ARN{}, false},
		{"arn:aws:s3:::", ARN{}, false},
		{"i-123", ARN{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseARN(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseARN(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
	for region, want := range map[string]string{"us-east-1": "aws", "cn-northwest-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "": "aws"} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%q) = %q, want %q", region, got, want)
		}
	}
}

package rules

import (
	"testing"

	"github.com/trailguard/trailguard/shared/trail"
)

// record decodes a CloudTrail record written in a test.
func record(t testing.TB, raw string) *trail.Record {
	t.Helper()
	rec, err := trail.DecodeRecord([]byte(raw))
	if err != nil {
		t.Fatalf("decode test record: %v", err)
	}
	return rec
}

// evalExpr compiles expr as the condition of a one-rule engine and evaluates it on rec.
func evalExpr(t testing.TB, expr string, rec *trail.Record) (bool, error) {
	t.Helper()
	e, err := Compile([]*Rule{{ID: "t", Title: "t", Severity: "LOW", When: expr, File: "test.yaml", Line: 1}})
	if err != nil {
		t.Fatalf("compile %s: %v", expr, err)
	}
	return e.rules[0].eval(&activation{ev: &eventValue{rec: rec}})
}

// assumedRoleRecord is a successful StopLogging by an assumed role with MFA, from an
// IPv4-mapped IPv6 address, with request parameters and resources.
const assumedRoleRecord = `{
  "eventVersion": "1.09",
  "userIdentity": {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLEADMIN1234:alice",
    "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
    "accountId": "111122223333",
    "accessKeyId": "ASIAEXAMPLEALICE1234",
    "sessionContext": {
      "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEADMIN1234", "arn": "arn:aws:iam::111122223333:role/Admin", "accountId": "111122223333", "userName": "Admin"},
      "webIdFederationData": {},
      "attributes": {"creationDate": "2026-11-20T08:55:02Z", "mfaAuthenticated": "true"}
    }
  },
  "eventTime": "2026-11-20T09:45:19Z",
  "eventSource": "cloudtrail.amazonaws.com",
  "eventName": "StopLogging",
  "awsRegion": "us-east-1",
  "sourceIPAddress": "::ffff:198.51.100.23",
  "userAgent": "aws-cli/2.22.4",
  "requestParameters": {"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events", "days": 7, "tags": ["a", "b"]},
  "responseElements": null,
  "requestID": "2c0a8e6d-4b2f-4c0a-9e6d-4b2f0c8a6e4d",
  "eventID": "6a4e2c0b-8f6d-4a4e-8c0b-8f6d4a2e0c8b",
  "readOnly": false,
  "resources": [{"accountId": "111122223333", "type": "AWS::CloudTrail::Trail", "ARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events"}],
  "eventType": "AwsApiCall",
  "managementEvent": true,
  "recipientAccountId": "111122223333",
  "eventCategory": "Management"
}`

// iamUserRecord is a refused call by an IAM user from an IPv6 address, without sessionContext
// or payloads.
const iamUserRecord = `{
  "eventVersion": "1.09",
  "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEID1234567", "arn": "arn:aws:iam::111122223333:user/intern", "accountId": "111122223333", "userName": "intern"},
  "eventTime": "2026-11-20T10:14:07Z",
  "eventSource": "ec2.amazonaws.com",
  "eventName": "RunInstances",
  "awsRegion": "eu-west-1",
  "sourceIPAddress": "2001:db8:4f::17",
  "errorCode": "Client.UnauthorizedOperation",
  "eventID": "6b1f3d2e-8c4a-4e7b-9f0d-2a5c7e9b1d33",
  "eventType": "AwsApiCall",
  "recipientAccountId": "111122223333"
}`

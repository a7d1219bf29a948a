package pack_test

import (
	"fmt"
	"testing"
)

// TestStratusBursts replays whole sequences through a Detector with a memory counter for the
// threshold rules that close the Stratus Red Team gaps (S3 ransomware, user-data sweeps, SES
// reconnaissance): the attack, shaped as the technique's detonation (its calls, counts and
// identities), alerts; the routine repetition that looks like it does not.
func TestStratusBursts(t *testing.T) {
	const iamUser = `{"type":"IAMUser","principalId":"AIDAEXAMPLERANSOM123","arn":"arn:aws:iam::111122223333:user/christophe","accountId":"111122223333","accessKeyId":"AKIAEXAMPLERANSOM123","userName":"christophe"}`
	const sweepRole = `{"type":"AssumedRole","principalId":"AROAUF4S4NNXFP6WTHD73:aws-go-sdk-1722455550269043000","arn":"arn:aws:sts::111122223333:assumed-role/stratus-red-team-get-usr-data-role/aws-go-sdk-1722455550269043000","accountId":"111122223333","accessKeyId":"ASIA4URVX2JM5MT0ZGK8","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAUF4S4NNXFP6WTHD73","arn":"arn:aws:iam::111122223333:role/stratus-red-team-get-usr-data-role","accountId":"111122223333","userName":"stratus-red-team-get-usr-data-role"},"attributes":{"creationDate":"2026-11-22T19:52:33Z","mfaAuthenticated":"false"}}}`
	const appRole = `{"type":"AssumedRole","principalId":"AROAEXAMPLEAPPROLE12:orders-api","arn":"arn:aws:sts::111122223333:assumed-role/orders-api-role/orders-api","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEORDERS123","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEAPPROLE12","arn":"arn:aws:iam::111122223333:role/orders-api-role","accountId":"111122223333","userName":"orders-api-role"},"attributes":{"creationDate":"2026-11-22T13:00:00Z","mfaAuthenticated":"false"}}}`
	const trustedAdvisor = `{"type":"AssumedRole","principalId":"AROAEXAMPLETRUSTEDAD:TrustedAdvisor_111122223333_7472a099","arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForTrustedAdvisor/TrustedAdvisor_111122223333_7472a099","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLETRUSTEDAD","arn":"arn:aws:iam::111122223333:role/aws-service-role/trustedadvisor.amazonaws.com/AWSServiceRoleForTrustedAdvisor","accountId":"111122223333","userName":"AWSServiceRoleForTrustedAdvisor"},"attributes":{"creationDate":"2026-11-22T13:00:00Z","mfaAuthenticated":"false"}}}`
	// record is one CloudTrail record of the i-th call of a sequence (one a second).
	record := func(i int, identity, source, name, category, params, errorCode string) string {
		errField := ""
		if errorCode != "" {
			errField = fmt.Sprintf(`"errorCode":%q,"errorMessage":"You are not authorized to perform this operation.",`, errorCode)
		}
		management := category == "Management"
		return fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":%s,"eventTime":"2026-11-22T13:3%d:%02dZ","eventSource":%q,"eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userAgent":"stratus-red-team_8d1f0b52-3c1e-4a7b-9d0e-2f6a4b8c1d3e","requestParameters":%s,%s"responseElements":null,"requestID":"req-%04d","eventID":"0000%04d-4b5a-4697-8877-665544332211","readOnly":false,"eventType":"AwsApiCall","managementEvent":%t,"recipientAccountId":"111122223333","eventCategory":%q}`,
			identity, i/60, i%60, source, name, params, errField, i, i, management, category)
	}
	const bucket = "stratus-red-team-ransomware-bucket-wlcudc"
	s3Key := func(i int) string { return fmt.Sprintf("ransom-victim-%02d.docx", i) }
	runBursts(t, []burst{
		{name: "51 objects deleted one by one (Stratus individual deletion)", rule: "s3-objects-mass-deleted", alerts: true, events: seq(51, func(i int) string {
			return record(i, iamUser, "s3.amazonaws.com", "DeleteObject", "Data",
				fmt.Sprintf(`{"bucketName":%q,"Host":"%s.s3.us-east-1.amazonaws.com","key":%q,"x-id":"DeleteObject"}`, bucket, bucket, s3Key(i)), "")
		})},
		{name: "51 objects deleted by one DeleteObjects logged per object", rule: "s3-objects-mass-deleted", alerts: true, events: append(
			seq(1, func(i int) string {
				return record(0, iamUser, "s3.amazonaws.com", "DeleteObjects", "Data",
					fmt.Sprintf(`{"bucketName":%q,"Host":"%s.s3.us-east-1.amazonaws.com","delete":"","x-id":"DeleteObjects"}`, bucket, bucket), "")
			}),
			seq(51, func(i int) string {
				return record(i+1, iamUser, "s3.amazonaws.com", "DeleteObject", "Data",
					fmt.Sprintf(`{"bucketName":%q,"Host":"%s.s3.us-east-1.amazonaws.com","key":%q}`, bucket, bucket, s3Key(i)), "")
			})...)},
		{name: "an application deletes its lock object 60 times", rule: "s3-objects-mass-deleted", alerts: false, events: seq(60, func(i int) string {
			return record(i, appRole, "s3.amazonaws.com", "DeleteObject", "Data",
				`{"bucketName":"orders-state-111122223333","Host":"orders-state-111122223333.s3.us-east-1.amazonaws.com","key":"locks/nightly-export.lock","x-id":"DeleteObject"}`, "")
		})},
		{name: "a person removes a few old reports", rule: "s3-objects-mass-deleted", alerts: false, events: seq(5, func(i int) string {
			return record(i, iamUser, "s3.amazonaws.com", "DeleteObject", "Data",
				fmt.Sprintf(`{"bucketName":"reports-111122223333","key":"2025/report-%d.pdf","x-id":"DeleteObject"}`, i), "")
		})},
		{name: "51 objects rewritten under a customer key (Stratus client-side encryption)", rule: "s3-objects-encrypted-customer-key", alerts: true, events: seq(51, func(i int) string {
			return record(i, iamUser, "s3.amazonaws.com", "CopyObject", "Data",
				fmt.Sprintf(`{"bucketName":%q,"Host":"%s.s3.us-east-1.amazonaws.com","x-amz-server-side-encryption-customer-algorithm":"AES256","x-amz-copy-source":"%s/%s","key":%q,"x-id":"CopyObject"}`, bucket, bucket, bucket, s3Key(i), s3Key(i)), "")
		})},
		{name: "51 in-place copies under the bucket's KMS key", rule: "s3-objects-encrypted-customer-key", alerts: false, events: seq(51, func(i int) string {
			return record(i, appRole, "s3.amazonaws.com", "CopyObject", "Data",
				fmt.Sprintf(`{"bucketName":%q,"x-amz-server-side-encryption":"aws:kms","x-amz-copy-source":"%s/%s","key":%q,"x-id":"CopyObject"}`, bucket, bucket, s3Key(i), s3Key(i)), "")
		})},
		{name: "user data of 14 instances requested, all refused (Stratus detonation)", rule: "ec2-user-data-bulk-read", alerts: true, events: seq(14, func(i int) string {
			return record(i, sweepRole, "ec2.amazonaws.com", "DescribeInstanceAttribute", "Management",
				fmt.Sprintf(`{"attribute":"userData","instanceId":"i-%08x"}`, 0x95b86090+i), "Client.UnauthorizedOperation")
		})},
		{name: "an administrator reads one instance's user data three times", rule: "ec2-user-data-bulk-read", alerts: false, events: seq(3, func(i int) string {
			return record(i, iamUser, "ec2.amazonaws.com", "DescribeInstanceAttribute", "Management",
				`{"attribute":"userData","instanceId":"i-0a1b2c3d4e5f67890"}`, "")
		})},
		{name: "SES sending, quota and identities checked (Stratus ses-enumerate)", rule: "ses-enumeration", alerts: true, events: []string{
			record(0, iamUser, "ses.amazonaws.com", "GetAccountSendingEnabled", "Management", `null`, ""),
			record(1, iamUser, "ses.amazonaws.com", "GetSendQuota", "Management", `null`, ""),
			record(2, iamUser, "ses.amazonaws.com", "ListIdentities", "Management", `null`, ""),
			record(3, iamUser, "ses.amazonaws.com", "GetIdentityVerificationAttributes", "Management", `{"identities":["example.com","billing@example.com"]}`, ""),
		}},
		{name: "Trusted Advisor checks the SES quota again and again", rule: "ses-enumeration", alerts: false, events: seq(10, func(i int) string {
			return record(i, trustedAdvisor, "ses.amazonaws.com", "GetSendQuota", "Management", `null`, "")
		})},
		{name: "an application polls its sending quota", rule: "ses-enumeration", alerts: false, events: seq(30, func(i int) string {
			return record(i, appRole, "ses.amazonaws.com", "GetSendQuota", "Management", `null`, "")
		})},
	})
}

package pack_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// The credential-access rules are thresholds on distinct values: their YAML tests say only
// whether one event counts. TestCredentialBursts replays whole sequences through a Detector
// with a memory counter: the sweep an attacker makes (shaped as Stratus Red Team's detonation
// logs) alerts, the routine repetition of an application does not.
func TestCredentialBursts(t *testing.T) {
	const iamUser = `{"type":"IAMUser","principalId":"AIDAEXAMPLESYBIL1234","arn":"arn:aws:iam::111122223333:user/sybil","accountId":"111122223333","accessKeyId":"AKIAEXAMPLESYBILKEY1","userName":"sybil"}`
	const appRole = `{"type":"AssumedRole","principalId":"AROAEXAMPLEAPPROLE12:orders-api","arn":"arn:aws:sts::111122223333:assumed-role/orders-api-role/orders-api","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEORDERS123","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEAPPROLE12","arn":"arn:aws:iam::111122223333:role/orders-api-role","accountId":"111122223333","userName":"orders-api-role"},"attributes":{"creationDate":"2026-11-21T13:00:00Z","mfaAuthenticated":"false"}}}`
	record := func(i int, identity, source, name, params, errorCode string) string {
		errField := ""
		if errorCode != "" {
			errField = fmt.Sprintf(`"errorCode":%q,"errorMessage":"You are not authorized to perform this operation.",`, errorCode)
		}
		return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":%s,"eventTime":"2026-11-21T13:3%d:%02dZ","eventSource":%q,"eventName":%q,"awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.88","userAgent":"aws-cli/2.22.4","requestParameters":%s,%s"responseElements":null,"requestID":"req-%04d","eventID":"0000%04d-1e77-426c-abd3-5ca20d903380","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
			identity, i/60, i%60, source, name, params, errField, i, i)
	}
	runBursts(t, []burst{
		{name: "20 different secrets read one by one", rule: "secrets-bulk-retrieval", alerts: true, events: seq(20, func(i int) string {
			return record(i, iamUser, "secretsmanager.amazonaws.com", "GetSecretValue",
				fmt.Sprintf(`{"secretId":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:stratus-red-team-retrieve-secret-%d-4Rzn83"}`, i), "")
		})},
		{name: "application role reads its one secret 50 times", rule: "secrets-bulk-retrieval", alerts: false, events: seq(50, func(i int) string {
			return record(i, appRole, "secretsmanager.amazonaws.com", "GetSecretValue", `{"secretId":"prod/orders/db"}`, "")
		})},
		{name: "one secret read", rule: "secrets-bulk-retrieval", alerts: false, events: seq(1, func(i int) string {
			return record(i, appRole, "secretsmanager.amazonaws.com", "GetSecretValue", `{"secretId":"prod/orders/db"}`, "")
		})},
		{name: "password data requested for 30 instances, all refused", rule: "ec2-password-data-burst", alerts: true, events: seq(30, func(i int) string {
			return record(i, iamUser, "ec2.amazonaws.com", "GetPasswordData", fmt.Sprintf(`{"instanceId":"i-0f1e2d3c4b5a6%04d"}`, i), "Client.UnauthorizedOperation")
		})},
		{name: "administrator fetches one instance's password three times", rule: "ec2-password-data-burst", alerts: false, events: seq(3, func(i int) string {
			return record(i, iamUser, "ec2.amazonaws.com", "GetPasswordData", `{"instanceId":"i-0f1e2d3c4b5a69788"}`, "")
		})},
		{name: "five batches of SecureString parameters decrypted", rule: "ssm-secure-parameters-burst", alerts: true, events: seq(5, func(i int) string {
			return record(i, iamUser, "ssm.amazonaws.com", "GetParameters",
				fmt.Sprintf(`{"names":["/credentials/stratus-red-team/credentials-%d","/credentials/stratus-red-team/credentials-%d"],"withDecryption":true}`, 2*i, 2*i+1), "")
		})},
		{name: "application polls its one SecureString parameter", rule: "ssm-secure-parameters-burst", alerts: false, events: seq(40, func(i int) string {
			return record(i, appRole, "ssm.amazonaws.com", "GetParameter", `{"name":"/prod/orders/db-password","withDecryption":true}`, "")
		})},
	})
}

// burst is one replayed sequence: the events, in order, and whether rule must alert on them.
type burst struct {
	name   string
	rule   string
	events []string
	alerts bool
}

// runBursts replays each burst through a fresh Detector of the pack with a memory counter and
// checks that its rule alerted (at least once) or stayed quiet.
func runBursts(t *testing.T, bursts []burst) {
	t.Helper()
	for _, tc := range bursts {
		t.Run(tc.name, func(t *testing.T) {
			d, err := rules.NewDetector(compilePack(t), &rules.MemoryCounter{})
			if err != nil {
				t.Fatal(err)
			}
			var got int
			for _, raw := range tc.events {
				rec, err := trail.DecodeRecord([]byte(raw))
				if err != nil {
					t.Fatalf("decode: %v\n%s", err, raw)
				}
				alerts, err := d.Detect(context.Background(), rec)
				if err != nil {
					t.Fatalf("detect: %v", err)
				}
				for _, a := range alerts {
					if a.Kind == tc.rule {
						got++
					}
				}
			}
			if (got > 0) != tc.alerts {
				t.Errorf("%s raised %d alerts over %d events, want alerts: %t", tc.rule, got, len(tc.events), tc.alerts)
			}
		})
	}
}

func seq(n int, f func(int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/trail"
)

func TestParseTrustedAccounts(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		n       int
		org     string
		wantErr string
	}{
		{"empty", nil, 0, "", ""},
		{"accounts and blanks", []string{" 111122223333", "", "444455556666 "}, 2, "", ""},
		{"organization only", []string{"o-a1b2c3d4e5"}, 0, "o-a1b2c3d4e5", ""},
		{"both", []string{"o-a1b2c3d4e5", "111122223333"}, 1, "o-a1b2c3d4e5", ""},
		{"short account", []string{"11112222333"}, 0, "", `"11112222333" is neither`},
		{"an ARN", []string{"arn:aws:iam::111122223333:root"}, 0, "", "is neither"},
		{"two organizations", []string{"o-a1b2c3d4e5", "o-zzzzzzzzzz"}, 0, "", "two organization IDs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrustedAccounts(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Len() != tt.n || got.Org != tt.org {
				t.Errorf("got %d accounts, org %q, error %v", got.Len(), got.Org, err)
			}
		})
	}
}

// TestExternalAccount: externalAccount(event, account) with and without TRUSTED_ACCOUNTS. The
// event is delivered for 111122223333 (recipientAccountId), or, in the last case, names its
// account only in userIdentity.
func TestExternalAccount(t *testing.T) {
	orgAccounts, _ := ParseTrustedAccounts([]string{"111122223333", "444455556666", "o-a1b2c3d4e5"})
	orgOnly, _ := ParseTrustedAccounts([]string{"o-a1b2c3d4e5"})
	withoutRecipient := strings.Replace(iamUserRecord, `"recipientAccountId": "111122223333"`, `"readOnly": false`, 1)
	tests := []struct {
		name    string
		trusted TrustedAccounts
		record  string
		arg     string // a CEL expression
		want    bool
	}{
		{"nothing set: another account", TrustedAccounts{}, iamUserRecord, `"999988887777"`, true},
		{"nothing set: own account", TrustedAccounts{}, iamUserRecord, `"111122223333"`, false},
		{"nothing set: another account's root ARN", TrustedAccounts{}, iamUserRecord, `"arn:aws:iam::999988887777:root"`, true},
		{"nothing set: own role ARN", TrustedAccounts{}, iamUserRecord, `"arn:aws:iam::111122223333:role/x"`, false},
		{"listed: an organization account", orgAccounts, iamUserRecord, `"444455556666"`, false},
		{"listed: an account outside", orgAccounts, iamUserRecord, `"999988887777"`, true},
		{"listed: own account, even unlisted", orgAccounts, strings.ReplaceAll(iamUserRecord, "111122223333", "777788889999"), `"777788889999"`, false},
		{"organization ID only: like nothing set", orgOnly, iamUserRecord, `"444455556666"`, true},
		{"all (public)", TrustedAccounts{}, iamUserRecord, `"all"`, false},
		{"empty", TrustedAccounts{}, iamUserRecord, `""`, false},
		{"a service principal", TrustedAccounts{}, iamUserRecord, `"lambda.amazonaws.com"`, false},
		{"a number", TrustedAccounts{}, iamUserRecord, `999988887777`, false},
		{"own account from userIdentity", TrustedAccounts{}, withoutRecipient, `"111122223333"`, false},
		{"other account from userIdentity's view", TrustedAccounts{}, withoutRecipient, `"999988887777"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := CompileWith([]*Rule{{ID: "t", Title: "t", Severity: "LOW", When: "externalAccount(event, " + tt.arg + ")", File: "t.yaml", Line: 1}}, Options{Trusted: tt.trusted})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.rules[0].eval(&activation{ev: &eventValue{rec: record(t, tt.record)}})
			if err != nil || got != tt.want {
				t.Errorf("externalAccount(event, %s) = %t (%v), want %t", tt.arg, got, err, tt.want)
			}
		})
	}
}

// TestExternalAccountOnPayload: the helper takes a payload value (dyn) as rules use it.
func TestExternalAccountOnPayload(t *testing.T) {
	rec := record(t, strings.Replace(iamUserRecord, `"eventType"`, `"requestParameters": {"createVolumePermission": {"add": {"items": [{"userId": "999988887777"}]}}}, "eventType"`, 1))
	got, err := evalExpr(t, `event.requestParameters.createVolumePermission.add.items.exists(i, externalAccount(event, getOr(i.userId, "")))`, rec)
	if err != nil || !got {
		t.Errorf("got %t, %v", got, err)
	}
}

const distinctRule = `id: secret-sweep
title: secrets read
severity: MEDIUM
when: event.eventName == "GetSecretValue"
threshold: 3
window: 10m
distinct: requestParameters.secretId
tests: []
`

func secretRead(t *testing.T, id, secret string) *trail.Record {
	rec := record(t, strings.Replace(iamUserRecord, `"eventType"`, fmt.Sprintf(`"requestParameters": {"secretId": %q}, "eventType"`, secret), 1))
	rec.EventID, rec.EventName, rec.EventSource, rec.ErrorCode = id, "GetSecretValue", "secretsmanager.amazonaws.com", ""
	return rec
}

// TestDetectDistinct: a distinct rule counts values, not events, and lists them.
func TestDetectDistinct(t *testing.T) {
	d, err := NewDetector(compileYAML(t, distinctRule), &MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		id, secret string
		want       bool
		why        string
	}{
		{"e1", "prod/db", false, "first secret"},
		{"e2", "prod/db", false, "the same secret by another event"},
		{"e1", "prod/db", false, "a redelivery"},
		{"e3", "prod/api-key", false, "second secret"},
		{"e4", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/stripe-AbCdEf", true, "third distinct secret"},
	}
	for _, s := range steps {
		alerts, err := d.Detect(context.Background(), secretRead(t, s.id, s.secret))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(alerts) == 1; got != s.want {
			t.Fatalf("%s: alert %t, want %t", s.why, got, s.want)
		}
		if s.want {
			details := fmt.Sprint(alerts[0].Details)
			for _, want := range []string{
				"{Threshold 3 or more distinct requestParameters.secretId values in the 10m window from 2026-11-20T10:10:00Z}",
				"{Distinct requestParameters.secretId arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/stripe-AbCdEf, prod/api-key, prod/db}",
			} {
				if !strings.Contains(details, want) {
					t.Errorf("details %s lack %s", details, want)
				}
			}
		}
	}
}

const tallyRule = `id: denied
title: denied
severity: LOW
attack: [TA0007, T1580]
runbook: ["Who is it?", Rotate the key.]
when: event.errorCode != ""
threshold: 4
window: 10m
tally: [eventSource, eventName]
tests: []
`

// TestDetectTally: a tally rule counts events and lists what they were, most frequent first;
// the alert carries the rule's attack and runbook.
func TestDetectTally(t *testing.T) {
	d, err := NewDetector(compileYAML(t, tallyRule), &MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	var last []string
	for i, name := range []string{"RunInstances", "DescribeRegions", "RunInstances", "RunInstances"} {
		alerts, err := d.Detect(context.Background(), deniedAt(t, fmt.Sprint("e", i), "2026-11-20T10:01:00Z", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) == 1 {
			last = append(last, fmt.Sprint(alerts[0].Details), fmt.Sprint(alerts[0].Attack), fmt.Sprint(alerts[0].Runbook))
		}
	}
	if len(last) == 0 {
		t.Fatal("no alert at the fourth denial")
	}
	for _, want := range []string{"{eventSource:eventName ec2.amazonaws.com:RunInstances ×3, ec2.amazonaws.com:DescribeRegions ×1}", "[TA0007 T1580]", "[Who is it? Rotate the key.]"} {
		if !strings.Contains(strings.Join(last, " "), want) {
			t.Errorf("alert %q lacks %q", last, want)
		}
	}
}

func TestBoundedMember(t *testing.T) {
	long := strings.Repeat("é", 300)
	b := boundedMember(long)
	if len(b) > maxMember+8 || !strings.HasPrefix(long, strings.SplitN(b, "…#", 2)[0]) || boundedMember(long+"x") == b {
		t.Errorf("bounded %q", b)
	}
	if boundedMember("short") != "short" {
		t.Error("a short member changed")
	}
}

func TestFirstSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"A trail stopped. Then more.", "A trail stopped."},
		{"A key (e.g. a KMS key. Really) was disabled, i.e. gone. More.", "A key (e.g. a KMS key. Really) was disabled, i.e. gone."},
		{"Version 1.2 of\n  the thing changed! Rest", "Version 1.2 of the thing changed!"},
		{"No full stop", "No full stop"},
	}
	for _, tt := range tests {
		if got := FirstSentence(tt.in); got != tt.want {
			t.Errorf("FirstSentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCoverage(t *testing.T) {
	mk := func(id string, attack []string, tests int) *Rule {
		return &Rule{ID: id, Attack: attack, Tests: make([]Test, tests)}
	}
	got := Coverage([]*Rule{
		mk("a", []string{"TA0005", "T1562.008"}, 3),
		mk("b", []string{"TA0010", "TA0005", "T1537"}, 2),
		mk("c", nil, 4),
		mk("d", []string{"TA0001", "T1078.004"}, 1),
	})
	want := "[{TA0001 1 1} {TA0005 2 5} {TA0010 1 2} { 1 4}]"
	if fmt.Sprint(got) != want {
		t.Errorf("Coverage = %v, want %s", got, want)
	}
}

func TestStripTests(t *testing.T) {
	src := "id: a\ntitle: t\ntests:\n  - name: x\n    event:\n      k: |\n        text\n\n      j: 1\n# a comment\nwhen: event.eventName == \"X\"\n---\nid: b\ntests:\n- name: y\n  expect: true\n---\nid: c\ntests: []\nseverity: LOW\n"
	want := "id: a\ntitle: t\nwhen: event.eventName == \"X\"\n---\nid: b\n---\nid: c\nseverity: LOW\n"
	if got := string(stripTests([]byte(src))); got != want {
		t.Errorf("stripTests:\n%s\nwant\n%s", got, want)
	}
}

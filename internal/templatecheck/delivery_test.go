package templatecheck

import (
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// role is the account, organization and ARN of a role the enricher might try
// to assume.
type role struct {
	arn, account, org string
}

// mayAssume reports whether identity-policy statements allow sts:AssumeRole on
// r, for the statement forms the template uses: Action a string or list,
// Resource a string or list with "*" wildcards, Condition StringEquals on
// aws:ResourceOrgID and aws:ResourceAccount (a value or a list: any of them).
// Any other condition is an error.
func mayAssume(statements []any, r role) (bool, error) {
	for _, s := range statements {
		stmt, _ := s.(map[string]any)
		if stmt["Effect"] != "Allow" || !contains(literals(stmt["Action"]), "sts:AssumeRole") {
			continue
		}
		resourceOK := false
		for _, pattern := range literals(stmt["Resource"]) {
			if wildcardMatch(pattern, r.arn) {
				resourceOK = true
			}
		}
		if !resourceOK {
			continue
		}
		conditionsOK := true
		cond, _ := stmt["Condition"].(map[string]any)
		for op, keys := range cond {
			if op != "StringEquals" {
				return false, fmt.Errorf("condition operator %s is not understood", op)
			}
			for key, want := range keys.(map[string]any) {
				var got string
				switch key {
				case "aws:ResourceOrgID":
					got = r.org
				case "aws:ResourceAccount":
					got = r.account
				default:
					return false, fmt.Errorf("condition key %s is not understood", key)
				}
				if !contains(literals(want), got) || got == "" {
					conditionsOK = false
				}
			}
		}
		if conditionsOK {
			return true, nil
		}
	}
	return false, nil
}

// The enricher assumes the member role only in accounts known to be members:
// the organization's (aws:ResourceOrgID) and/or the listed ones; with neither
// set, in none, whatever account a request parameter names.
func TestEnricherAssumesRolesOnlyInMemberAccounts(t *testing.T) {
	const org, otherOrg = "o-a1b2c3d4e5", "o-zzzzzzzzzz"
	member := role{"arn:aws:iam::222222222222:role/trailguard-tag-reader", "222222222222", org}
	listedOutsideOrg := role{"arn:aws:iam::333333333333:role/trailguard-tag-reader", "333333333333", otherOrg}
	stranger := role{"arn:aws:iam::999999999999:role/trailguard-tag-reader", "999999999999", otherOrg}
	strangerNoOrg := role{"arn:aws:iam::999999999999:role/trailguard-tag-reader", "999999999999", ""}
	otherRole := role{"arn:aws:iam::222222222222:role/admin", "222222222222", org}
	tests := []struct {
		name           string
		orgID, members string
		allowed        []role
	}{
		{"neither", "", "", nil},
		{"organization", org, "", []role{member}},
		{"account list", "", "222222222222,333333333333", []role{member, listedOutsideOrg}},
		{"both", org, "222222222222,333333333333", []role{member}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, mustLoad(t, repoPath("template.yaml")), map[string]string{
				"AllowedCidrs": "203.0.113.0/24", "TrailBucketName": "trail-bucket",
				"OrganizationId": tt.orgID, "MemberAccounts": tt.members,
			})
			fn := d.resources("AWS::Serverless::Function")["TagEnrichFunction"]
			if fn == nil {
				t.Fatal("no TagEnrichFunction")
			}
			var statements []any
			for _, p := range fn["Properties"].(map[string]any)["Policies"].([]any) {
				doc, _ := p.(map[string]any)
				list, _ := doc["Statement"].([]any)
				statements = append(statements, list...)
			}
			for _, r := range []role{member, listedOutsideOrg, stranger, strangerNoOrg, otherRole} {
				got, err := mayAssume(statements, r)
				if err != nil {
					t.Fatal(err)
				}
				if want := slices.Contains(tt.allowed, r); got != want {
					t.Errorf("assume %s (account %s, org %q): %v, want %v", r.arn, r.account, r.org, got, want)
				}
			}
		})
	}
}

// wildcardMatch matches an IAM ARN pattern, where * is any run of characters
// ("/" included) and ? any one.
func wildcardMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

func TestMayAssume(t *testing.T) {
	stmt := func(resource any, cond map[string]any) []any {
		s := map[string]any{"Effect": "Allow", "Action": []any{"sts:AssumeRole"}, "Resource": resource}
		if cond != nil {
			s["Condition"] = cond
		}
		return []any{s}
	}
	r := role{"arn:aws:iam::222222222222:role/reader", "222222222222", "o-a"}
	tests := []struct {
		name       string
		statements []any
		want       bool
		wantErr    bool
	}{
		{"wildcard account", stmt("arn:aws:iam::*:role/reader", nil), true, false},
		{"other role", stmt("arn:aws:iam::*:role/admin", nil), false, false},
		{"org matches", stmt("arn:aws:iam::*:role/reader", map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": "o-a"}}), true, false},
		{"org differs", stmt("arn:aws:iam::*:role/reader", map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": "o-b"}}), false, false},
		{"account listed", stmt("arn:aws:iam::*:role/reader", map[string]any{"StringEquals": map[string]any{"aws:ResourceAccount": []any{"1", "222222222222"}}}), true, false},
		{"account not listed", stmt("arn:aws:iam::*:role/reader", map[string]any{"StringEquals": map[string]any{"aws:ResourceAccount": []any{"1"}}}), false, false},
		{"deny ignored", []any{map[string]any{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}}, false, false},
		{"unknown operator", stmt("*", map[string]any{"StringLike": map[string]any{"aws:ResourceOrgID": "o-*"}}), false, true},
	}
	for _, tt := range tests {
		got, err := mayAssume(tt.statements, r)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: %v, %v; want %v (error %v)", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

// queueOf returns the logical ID of the queue an ARN ({"Fn::GetAtt": [Q, "Arn"]}) names.
func queueOf(arn any) string {
	m, _ := arn.(map[string]any)
	ga, _ := m["Fn::GetAtt"].([]any)
	if len(ga) == 2 && ga[1] == "Arn" {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

// hasAlarm reports whether an alarm with actions watches metric of namespace
// with the dimension (name, value).
func hasAlarm(d *deployment, namespace, metric, dimension string, value any) bool {
	for _, a := range d.resources("AWS::CloudWatch::Alarm") {
		props := a["Properties"].(map[string]any)
		if props["Namespace"] != namespace || props["MetricName"] != metric || len(alarmTopics(a)) == 0 {
			continue
		}
		dims, _ := props["Dimensions"].([]any)
		for _, dim := range dims {
			if reflect.DeepEqual(dim, map[string]any{"Name": dimension, "Value": value}) {
				return true
			}
		}
	}
	return false
}

// checkForwarding reports, for every AWS::Events::Rule of a deployed template
// whose target is an event bus (a forwarder: no function behind it to alarm
// on errors): a target without RetryPolicy (both limits) or DeadLetterConfig;
// a dead-letter queue EventBridge may not send to from that rule, or without a
// depth alarm; no alarm on events that could not be dead-lettered; and a role
// EventBridge assumes without aws:SourceAccount and aws:SourceArn.
func checkForwarding(d *deployment) []string {
	var problems []string
	queuePolicies := d.resources("AWS::SQS::QueuePolicy")
	for id, rule := range d.resources("AWS::Events::Rule") {
		targets, _ := rule["Properties"].(map[string]any)["Targets"].([]any)
		for i, tg := range targets {
			target := tg.(map[string]any)
			at := fmt.Sprintf("%s.Targets[%d]", id, i)
			arn, _ := target["Arn"].(string)
			if ok, _ := path.Match("arn:*:events:*:*:event-bus/*", arn); !ok {
				continue
			}
			retry, _ := target["RetryPolicy"].(map[string]any)
			if retry["MaximumRetryAttempts"] == nil || retry["MaximumEventAgeInSeconds"] == nil {
				problems = append(problems, at+": no RetryPolicy with MaximumRetryAttempts and MaximumEventAgeInSeconds")
			}
			dlc, _ := target["DeadLetterConfig"].(map[string]any)
			queue := queueOf(dlc["Arn"])
			if queue == "" {
				problems = append(problems, at+": no DeadLetterConfig naming a queue of the stack")
				continue
			}
			if !queueAcceptsRule(queuePolicies, queue, id) {
				problems = append(problems, fmt.Sprintf("%s: no queue policy lets events.amazonaws.com send to %s with aws:SourceArn of the rule", at, queue))
			}
			if !hasAlarm(d, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", map[string]any{"Fn::GetAtt": []any{queue, "QueueName"}}) {
				problems = append(problems, fmt.Sprintf("%s: no alarm on the depth of %s", at, queue))
			}
			if !hasAlarm(d, "AWS/Events", "InvocationsFailedToBeSentToDlq", "RuleName", map[string]any{"Ref": id}) {
				problems = append(problems, fmt.Sprintf("%s: no alarm on events the rule could neither deliver nor dead-letter", at))
			}
		}
	}
	for id, r := range d.resources("AWS::IAM::Role") {
		doc := r["Properties"].(map[string]any)["AssumeRolePolicyDocument"].(map[string]any)
		for i, s := range doc["Statement"].([]any) {
			stmt := s.(map[string]any)
			principal, _ := stmt["Principal"].(map[string]any)
			if !contains(literals(principal["Service"]), "events.amazonaws.com") {
				continue
			}
			cond, _ := stmt["Condition"].(map[string]any)
			eq, _ := cond["StringEquals"].(map[string]any)
			arnEq, _ := cond["ArnEquals"].(map[string]any)
			if eq["aws:SourceAccount"] == nil || arnEq["aws:SourceArn"] == nil {
				problems = append(problems, fmt.Sprintf("%s.Statement[%d]: EventBridge may assume the role without StringEquals aws:SourceAccount and ArnEquals aws:SourceArn (confused deputy)", id, i))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// queueAcceptsRule reports whether a queue policy lets EventBridge send to
// queue on behalf of rule (aws:SourceArn the rule's ARN).
func queueAcceptsRule(policies map[string]map[string]any, queue, rule string) bool {
	want := map[string]any{"Fn::GetAtt": []any{rule, "Arn"}}
	for _, p := range policies {
		props := p["Properties"].(map[string]any)
		if !containsValue(props["Queues"], map[string]any{"Ref": queue}) {
			continue
		}
		for _, s := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			stmt := s.(map[string]any)
			principal, _ := stmt["Principal"].(map[string]any)
			cond, _ := stmt["Condition"].(map[string]any)
			arnEq, _ := cond["ArnEquals"].(map[string]any)
			if stmt["Effect"] == "Allow" && principal["Service"] == "events.amazonaws.com" &&
				(reflect.DeepEqual(arnEq["aws:SourceArn"], want) || containsValue(arnEq["aws:SourceArn"], want)) {
				return true
			}
		}
	}
	return false
}

func containsValue(list, v any) bool {
	items, _ := list.([]any)
	for _, item := range items {
		if reflect.DeepEqual(item, v) {
			return true
		}
	}
	return false
}

// The forwarders of other regions and member accounts keep what they cannot
// deliver, say so, and lend their role to their own rules only.
func TestForwardersKeepFailuresAndAlarm(t *testing.T) {
	for file, d := range deployments(t) {
		t.Run(file, func(t *testing.T) {
			for _, p := range checkForwarding(d) {
				t.Error(p)
			}
		})
	}
	for _, file := range []string{"member-role.yaml", "signin-forwarder.yaml"} {
		d := deployments(t)[file]
		if len(d.resources("AWS::Events::Rule")) == 0 || len(d.resources("AWS::CloudWatch::Alarm")) == 0 {
			t.Errorf("%s: no forwarding rule or no alarm deployed: nothing was checked", file)
		}
	}
}

func TestCheckForwardingReportsMistakes(t *testing.T) {
	tpl, err := Parse([]byte(`
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      Targets:
        - Id: bus
          Arn: arn:aws:events:us-east-1:111111111111:event-bus/default
          RoleArn: !GetAtt Role.Arn
          DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
        - Id: fn
          Arn: !GetAtt Fn.Arn
  Dlq: {Type: AWS::SQS::Queue}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sts:AssumeRole
            Condition: {StringEquals: {aws:SourceAccount: !Ref AWS::AccountId}}
`))
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, checkForwarding(deploy(t, tpl, nil)), []string{
		"Role.Statement[0]: EventBridge may assume the role without StringEquals aws:SourceAccount and ArnEquals aws:SourceArn (confused deputy)",
		"Rule.Targets[0]: no RetryPolicy with MaximumRetryAttempts and MaximumEventAgeInSeconds",
		"Rule.Targets[0]: no alarm on events the rule could neither deliver nor dead-letter",
		"Rule.Targets[0]: no alarm on the depth of Dlq",
		"Rule.Targets[0]: no queue policy lets events.amazonaws.com send to Dlq with aws:SourceArn of the rule",
	})
}

// retainedTables are the tables that hold audit history: deleting or
// replacing the stack must leave them. Every other table must be named in
// disposableTables with the reason, so a new table is a decision.
var (
	retainedTables   = []string{"TagChangeTable"}
	disposableTables = map[string]string{
		"AlertStateTable":      "claims and suppression counts, expired within the suppression window",
		"KnownTagsTable":       "a cache of the last tags seen per resource",
		"CountersTable":        "hourly counters, rebuilt by replaying the trail's log files, which stay in the trail bucket",
		"PartitionLedgerTable": "a ledger of Glue partitions registered; a lost item costs one Glue call",
		"CloudPollTable":       "cloudpoll's cursors and seen event IDs; losing them re-reads FIRST_POLL_LOOKBACK (its alerts may repeat once)",
	}
)

func TestAuditHistoryIsRetained(t *testing.T) {
	tables := Resources(mustLoad(t, repoPath("template.yaml")), "AWS::DynamoDB::Table")
	for id, table := range tables {
		retained := contains(retainedTables, id)
		if _, disposable := disposableTables[id]; retained == disposable {
			t.Errorf("%s: name it in retainedTables (audit history) or disposableTables (with the reason), once", id)
			continue
		}
		for _, attr := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if retained && table[attr] != "Retain" {
				t.Errorf("%s: %s is %v, want Retain: it holds audit history", id, attr, table[attr])
			}
		}
	}
	for _, id := range retainedTables {
		if tables[id] == nil {
			t.Errorf("retainedTables names %s, which template.yaml does not define", id)
		}
	}
}

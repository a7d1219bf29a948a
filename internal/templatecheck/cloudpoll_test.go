package templatecheck

import (
	"fmt"
	"reflect"
	"regexp"
	"testing"
)

// TestCloudPollDeployment checks what docs/cloudpoll.md promises of CloudPollFunction: one
// poll at a time within the minute, an EventBridge Scheduler schedule that retries and
// dead-letters, read access to the sources' secrets and no other, its own table, the same
// allowlist as LoginCheckFunction, and an alarm on refused sources to both topics.
func TestCloudPollDeployment(t *testing.T) {
	tpl := mustLoad(t, repoPath("template.yaml"))
	d := deploy(t, tpl, map[string]string{"AllowedCidrs": "203.0.113.0/24", "TrailBucketName": "trail-bucket"})
	fns := d.resources("AWS::Serverless::Function")
	fn, ok := fns["CloudPollFunction"]
	if !ok {
		t.Fatal("template.yaml has no CloudPollFunction")
	}
	props, _ := fn["Properties"].(map[string]any)
	if timeout, _ := props["Timeout"].(int); timeout <= 0 || timeout >= 60 {
		t.Errorf("Timeout %v: want under the schedule's minute", props["Timeout"])
	}
	if props["ReservedConcurrentExecutions"] != 1 {
		t.Errorf("ReservedConcurrentExecutions %v, want 1 (one poll at a time)", props["ReservedConcurrentExecutions"])
	}

	events, _ := props["Events"].(map[string]any)
	schedules := 0
	for id, e := range events {
		ev, _ := e.(map[string]any)
		if ev["Type"] != "ScheduleV2" {
			continue
		}
		schedules++
		p, _ := ev["Properties"].(map[string]any)
		if p["ScheduleExpression"] != "rate(1 minute)" {
			t.Errorf("Events.%s: ScheduleExpression %v, want rate(1 minute)", id, p["ScheduleExpression"])
		}
		retry, _ := p["RetryPolicy"].(map[string]any)
		if retry["MaximumRetryAttempts"] == nil || retry["MaximumEventAgeInSeconds"] == nil {
			t.Errorf("Events.%s: RetryPolicy %v, want MaximumRetryAttempts and MaximumEventAgeInSeconds", id, retry)
		}
		dlq, _ := p["DeadLetterConfig"].(map[string]any)
		if !reflect.DeepEqual(dlq["Arn"], map[string]any{"Fn::GetAtt": []any{"CloudPollDLQ", "Arn"}}) {
			t.Errorf("Events.%s: DeadLetterConfig %v, want Arn !GetAtt CloudPollDLQ.Arn", id, dlq)
		}
	}
	if schedules != 1 {
		t.Errorf("%d ScheduleV2 events, want 1", schedules)
	}

	env := func(fn map[string]any) map[string]any {
		p, _ := fn["Properties"].(map[string]any)
		e, _ := p["Environment"].(map[string]any)
		v, _ := e["Variables"].(map[string]any)
		return v
	}
	vars := env(fn)
	for name, want := range map[string]any{
		"SOURCES":           "[]",
		"CLOUDPOLL_TABLE":   map[string]any{"Ref": "CloudPollTable"},
		"ALERT_STATE_TABLE": map[string]any{"Ref": "AlertStateTable"},
		"ALLOWED_CIDRS":     env(fns["LoginCheckFunction"])["ALLOWED_CIDRS"],
		"ALLOWED_SOURCES":   env(fns["LoginCheckFunction"])["ALLOWED_SOURCES"],
	} {
		if !reflect.DeepEqual(vars[name], want) {
			t.Errorf("%s = %v, want %v", name, vars[name], want)
		}
	}

	// Every grant of Secrets Manager is GetSecretValue under the prefix.
	wantSecrets := "arn:aws:secretsmanager:us-east-1:111111111111:secret:trailguard/cloudpoll/*"
	grants := map[string][]any{} // action → resources
	policies, _ := props["Policies"].([]any)
	for _, p := range policies {
		doc, _ := p.(map[string]any)
		stmts, _ := doc["Statement"].([]any)
		for _, s := range stmts {
			stmt, _ := s.(map[string]any)
			res, ok := stmt["Resource"].([]any)
			if !ok {
				res = []any{stmt["Resource"]}
			}
			for _, a := range literals(stmt["Action"]) {
				grants[a] = append(grants[a], res...)
			}
		}
	}
	for action := range grants {
		if regexp.MustCompile(`^secretsmanager:`).MatchString(action) && action != "secretsmanager:GetSecretValue" {
			t.Errorf("%s granted: only GetSecretValue is needed", action)
		}
	}
	if got := grants["secretsmanager:GetSecretValue"]; !reflect.DeepEqual(got, []any{wantSecrets}) {
		t.Errorf("secretsmanager:GetSecretValue on %v, want [%s]", got, wantSecrets)
	}
	for _, action := range []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} {
		if !containsAny(grants[action], map[string]any{"Fn::GetAtt": []any{"CloudPollTable", "Arn"}}) {
			t.Errorf("%s not granted on CloudPollTable", action)
		}
	}

	// The prefix can never widen the grant to every secret.
	params, _ := tpl["Parameters"].(map[string]any)
	prefix, _ := params["CloudPollSecretsPrefix"].(map[string]any)
	pattern, err := regexp.Compile(fmt.Sprint(prefix["AllowedPattern"]))
	if err != nil {
		t.Fatalf("CloudPollSecretsPrefix AllowedPattern: %v", err)
	}
	for value, ok := range map[string]bool{"trailguard/cloudpoll/": true, "team-a/": true, "": false, "*": false, "/": false, "trailguard": false, "a//": false, "a/*/": false} {
		if pattern.MatchString(value) != ok {
			t.Errorf("CloudPollSecretsPrefix %q accepted %v, want %v", value, !ok, ok)
		}
	}

	refused := false
	for _, alarm := range d.resources("AWS::CloudWatch::Alarm") {
		p, _ := alarm["Properties"].(map[string]any)
		if p["Namespace"] == "trailguard" && p["MetricName"] == "SourcesRefused" &&
			reflect.DeepEqual(p["Dimensions"], []any{map[string]any{"Name": "Function", "Value": "cloudpoll"}}) {
			refused = reflect.DeepEqual(p["AlarmActions"], []any{map[string]any{"Ref": "AlertTopic"}, map[string]any{"Ref": "AlarmTopic"}})
		}
	}
	if !refused {
		t.Error("no alarm on trailguard SourcesRefused (Function=cloudpoll) to the alert and alarm topics")
	}
}

func containsAny(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}

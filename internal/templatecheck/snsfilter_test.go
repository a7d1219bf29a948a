package templatecheck

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/alert"
)

// matchFilterPolicy reports whether an SNS subscription with filter policy
// (scope MessageAttributes) accepts a message with these String attributes,
// for the subset the templates may use (SNS developer guide, "Amazon SNS
// subscription filter policies"): keys are AND, each key's values are OR;
// literal strings, {prefix: "…"}, {anything-but: value | [values]} and
// {exists: bool}. A nil policy accepts everything. A message without any
// attribute matches no policy, even {"k": [{"exists": false}]} ("Key
// matching": "exists: false only matches if at least one attribute is
// present"; SNS counts such messages as
// NumberOfNotificationsFilteredOut-NoMessageAttributes). Other operators are
// errors.
func matchFilterPolicy(policy map[string]any, attrs map[string]string) (bool, error) {
	if policy == nil {
		return true, nil
	}
	if len(policy) == 0 {
		return false, fmt.Errorf("empty filter policy")
	}
	matched := len(attrs) > 0
	for key, v := range policy {
		values, ok := v.([]any)
		if !ok || len(values) == 0 {
			return false, fmt.Errorf("key %s: want a non-empty list of values, got %v", key, v)
		}
		got, present := attrs[key]
		any := false
		for _, value := range values {
			ok, err := matchFilterValue(value, got, present)
			if err != nil {
				return false, fmt.Errorf("key %s: %w", key, err)
			}
			any = any || ok
		}
		matched = matched && any
	}
	return matched, nil
}

func matchFilterValue(value any, got string, present bool) (bool, error) {
	switch v := value.(type) {
	case string:
		return present && got == v, nil
	case map[string]any:
		if len(v) != 1 {
			return false, fmt.Errorf("operator %v: want exactly one", v)
		}
		for op, arg := range v {
			switch op {
			case "exists":
				b, ok := arg.(bool)
				if !ok {
					return false, fmt.Errorf("exists %v: want true or false", arg)
				}
				return present == b, nil
			case "prefix":
				p, ok := arg.(string)
				if !ok {
					return false, fmt.Errorf("prefix %v: want a string", arg)
				}
				return present && strings.HasPrefix(got, p), nil
			case "anything-but":
				if !present {
					return false, nil
				}
				list, ok := arg.([]any)
				if !ok {
					list = []any{arg}
				}
				for _, x := range list {
					s, ok := x.(string)
					if !ok {
						return false, fmt.Errorf("anything-but %v: only strings are understood", arg)
					}
					if s == got {
						return false, nil
					}
				}
				return true, nil
			}
			return false, fmt.Errorf("operator %s is not understood", op)
		}
	}
	return false, fmt.Errorf("value %v (%T) is not understood", value, value)
}

func TestMatchFilterPolicy(t *testing.T) {
	high := map[string]string{"severity": "HIGH", "kind": "root-sign-in"}
	low := map[string]string{"severity": "LOW", "kind": "vpc-changed"}
	other := map[string]string{"kind": "x"}
	var alarm map[string]string // a CloudWatch alarm notification: no attributes
	tests := []struct {
		policy                  string
		high, low, other, alarm bool
		wantErr                 string
	}{
		{`null`, true, true, true, true, ""},
		{`{"severity": ["HIGH"]}`, true, false, false, false, ""},
		{`{"severity": ["HIGH", "LOW"], "kind": [{"prefix": "root-"}]}`, true, false, false, false, ""},
		{`{"severity": [{"anything-but": ["LOW"]}]}`, true, false, false, false, ""},
		{`{"severity": [{"anything-but": "HIGH"}]}`, false, true, false, false, ""},
		{`{"severity": [{"exists": true}]}`, true, true, false, false, ""},
		// The policy that looks as if it passed alarms, and does not: the
		// alarm has no attributes at all.
		{`{"severity": ["HIGH", {"exists": false}]}`, true, false, true, false, ""},
		{`{"severity": [{"numeric": [">", 0]}]}`, false, false, false, false, "operator numeric is not understood"},
		{`{"$or": [{"severity": ["HIGH"]}]}`, false, false, false, false, "operator severity is not understood"},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			var policy map[string]any
			if err := json.Unmarshal([]byte(tt.policy), &policy); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name  string
				attrs map[string]string
				want  bool
			}{{"HIGH alert", high, tt.high}, {"LOW alert", low, tt.low}, {"no severity", other, tt.other}, {"alarm", alarm, tt.alarm}} {
				got, err := matchFilterPolicy(policy, c.attrs)
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("%s: error %v, want %q", c.name, err, tt.wantErr)
					}
					continue
				}
				if err != nil || got != c.want {
					t.Errorf("%s: match %v, %v; want %v", c.name, got, err, c.want)
				}
			}
		})
	}
}

// refName returns the logical ID a {"Ref": X} names, or "".
func refName(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// recipients returns the protocols (sms, email) that receive a message with
// these attributes published to these topics.
func recipients(t *testing.T, d *deployment, topics []string, attrs map[string]string) []string {
	t.Helper()
	var got []string
	for id, sub := range d.resources("AWS::SNS::Subscription") {
		props := sub["Properties"].(map[string]any)
		if !contains(topics, refName(props["TopicArn"])) {
			continue
		}
		if scope, ok := props["FilterPolicyScope"]; ok && scope != "MessageAttributes" {
			t.Fatalf("%s: FilterPolicyScope %v: the alerts' severity is a message attribute", id, scope)
		}
		policy, _ := props["FilterPolicy"].(map[string]any)
		if props["FilterPolicy"] != nil && policy == nil {
			t.Fatalf("%s: FilterPolicy %v is not an object", id, props["FilterPolicy"])
		}
		ok, err := matchFilterPolicy(policy, attrs)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if ok && !contains(got, props["Protocol"].(string)) {
			got = append(got, props["Protocol"].(string))
		}
	}
	sort.Strings(got)
	return got
}

// alertTopics returns the topics the functions publish alerts to (their
// ALERT_TOPIC_ARN).
func alertTopics(t *testing.T, d *deployment) []string {
	var topics []string
	for id, fn := range d.resources("AWS::Serverless::Function") {
		props, _ := fn["Properties"].(map[string]any)
		env, _ := props["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		v, set := vars["ALERT_TOPIC_ARN"]
		if !set || v == "" {
			continue
		}
		name := refName(v)
		if name == "" {
			t.Fatalf("%s: ALERT_TOPIC_ARN %v is not a topic of the stack", id, v)
		}
		if !contains(topics, name) {
			topics = append(topics, name)
		}
	}
	if len(topics) == 0 {
		t.Fatal("no function publishes alerts (ALERT_TOPIC_ARN)")
	}
	return topics
}

// alarmTopics returns the topics an alarm's AlarmActions notify.
func alarmTopics(alarm map[string]any) []string {
	props, _ := alarm["Properties"].(map[string]any)
	actions, _ := props["AlarmActions"].([]any)
	var topics []string
	for _, a := range actions {
		if name := refName(a); name != "" {
			topics = append(topics, name)
		}
	}
	return topics
}

// Routing by urgency: phones get HIGH alerts and every alarm; the mailbox
// gets MEDIUM and HIGH alerts and every alarm, LOW alerts only when
// EmailLowAlerts says so. Attributes are those shared/alert sends.
func TestAlertsAndAlarmsAreRoutedByUrgency(t *testing.T) {
	attributes := func(s alert.Severity) map[string]string {
		return alert.Render(alert.Alert{Kind: "k", Severity: s, Title: "t", Account: "111122223333"}).Attributes
	}
	for _, mailLow := range []string{"false", "true"} {
		t.Run("EmailLowAlerts="+mailLow, func(t *testing.T) {
			d := deploy(t, mustLoad(t, repoPath("template.yaml")), map[string]string{
				"AllowedCidrs": "203.0.113.0/24", "TrailBucketName": "trail-bucket",
				"AlertEmail": "ops@example.com", "AlertPhoneNumber": "+14155550100", "EmailLowAlerts": mailLow,
			})
			topics := alertTopics(t, d)
			lowTo := []string(nil)
			if mailLow == "true" {
				lowTo = []string{"email"}
			}
			for _, tt := range []struct {
				severity alert.Severity
				want     []string
			}{
				{alert.High, []string{"email", "sms"}},
				{alert.Medium, []string{"email"}},
				{alert.Low, lowTo},
			} {
				if got := recipients(t, d, topics, attributes(tt.severity)); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s alert to %v reaches %v, want %v", tt.severity, topics, got, tt.want)
				}
			}
			alarms := d.resources("AWS::CloudWatch::Alarm")
			if len(alarms) == 0 {
				t.Fatal("no alarm: nothing was checked")
			}
			for id, a := range alarms {
				if got := recipients(t, d, alarmTopics(a), nil); !reflect.DeepEqual(got, []string{"email", "sms"}) {
					t.Errorf("alarm %s (actions %v) reaches %v, want [email sms]", id, alarmTopics(a), got)
				}
			}
		})
	}
}

// The SMS spend alarm fires at 80% of SmsMonthlySpendLimit: past the limit SNS
// stops sending SMS while Publish still succeeds.
func TestSmsSpendAlarmFiresAtEightyPercentOfTheLimit(t *testing.T) {
	d := deploy(t, mustLoad(t, repoPath("template.yaml")), map[string]string{
		"AllowedCidrs": "203.0.113.0/24", "TrailBucketName": "trail-bucket", "SmsMonthlySpendLimit": "50",
	})
	var found []string
	for id, a := range d.resources("AWS::CloudWatch::Alarm") {
		props := a["Properties"].(map[string]any)
		metrics, _ := props["Metrics"].([]any)
		var spentID string
		for _, m := range metrics {
			q := m.(map[string]any)
			stat, _ := q["MetricStat"].(map[string]any)
			metric, _ := stat["Metric"].(map[string]any)
			if metric["MetricName"] == "SMSMonthToDateSpentUSD" {
				if metric["Namespace"] != "AWS/SNS" || metric["Dimensions"] != nil || stat["Stat"] != "Maximum" {
					t.Errorf("%s: metric %v, stat %v: want AWS/SNS, no dimensions, Maximum", id, metric, stat["Stat"])
				}
				spentID, _ = q["Id"].(string)
			}
		}
		if spentID == "" {
			continue
		}
		found = append(found, id)
		// The returned expression: 100 * spent / LIMIT, compared with the threshold.
		var expr string
		for _, m := range metrics {
			q := m.(map[string]any)
			if q["ReturnData"] == true {
				expr, _ = q["Expression"].(string)
			}
		}
		parts := regexp.MustCompile(`^100 \* (\w+) / ([0-9.]+)$`).FindStringSubmatch(expr)
		if parts == nil || parts[1] != spentID {
			t.Fatalf("%s: returned expression %q, want 100 * %s / LIMIT", id, expr, spentID)
		}
		limit, _ := strconv.ParseFloat(parts[2], 64)
		threshold, _ := props["Threshold"].(int)
		fires := func(spent float64) bool {
			pct := 100 * spent / limit
			if props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" {
				return pct >= float64(threshold)
			}
			return pct > float64(threshold)
		}
		if !fires(40) || fires(39.9) {
			t.Errorf("%s: with a limit of 50 USD fires at 40: %v, at 39.9: %v; want at 40 only", id, fires(40), fires(39.9))
		}
		if len(alarmTopics(a)) == 0 {
			t.Errorf("%s: no AlarmActions", id)
		}
	}
	if len(found) != 1 {
		t.Errorf("alarms on SMSMonthToDateSpentUSD: %v, want one", found)
	}
}

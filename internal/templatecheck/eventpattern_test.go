package templatecheck

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// matchPattern reports whether an EventBridge event pattern matches an event,
// for the subset of content filtering the templates may use (EventBridge user
// guide, "Content filtering in Amazon EventBridge event patterns"): nested
// fields (AND), lists of values (OR), literal values, {prefix: "…"},
// {anything-but: value | [values] | {prefix: "…"}} and {exists: bool}. A value
// matches an event array when it matches one of its elements. Any other
// operator is an error, so a pattern the evaluator does not understand can
// never pass a check.
func matchPattern(pattern, event map[string]any) (bool, error) {
	for field, want := range pattern {
		got, present := event[field]
		switch w := want.(type) {
		case map[string]any:
			nested, ok := got.(map[string]any)
			if !present || !ok {
				// Still check the nested pattern's operators.
				if _, err := matchPattern(w, map[string]any{}); err != nil {
					return false, err
				}
				return false, nil
			}
			ok, err := matchPattern(w, nested)
			if err != nil || !ok {
				return false, err
			}
		case []any:
			ok, err := matchValues(w, got, present)
			if err != nil || !ok {
				return false, err
			}
		default:
			return false, fmt.Errorf("field %s: pattern value %v is not a list or an object", field, want)
		}
	}
	return true, nil
}

// matchValues reports whether one of a field's pattern values matches the
// event's value (or its absence).
func matchValues(values []any, got any, present bool) (bool, error) {
	if len(values) == 0 {
		return false, fmt.Errorf("empty list of values")
	}
	candidates := []any{got}
	if list, ok := got.([]any); ok {
		candidates = list
	}
	matched := false
	for _, v := range values {
		for _, c := range candidates {
			ok, err := matchValue(v, c, present)
			if err != nil {
				return false, err
			}
			matched = matched || ok
		}
	}
	return matched, nil
}

func matchValue(v, got any, present bool) (bool, error) {
	op, isOp := v.(map[string]any)
	if !isOp {
		return present && reflect.DeepEqual(v, got), nil
	}
	if len(op) != 1 {
		return false, fmt.Errorf("operator %v: want exactly one", op)
	}
	s, isString := got.(string)
	for name, arg := range op {
		switch name {
		case "prefix":
			p, ok := arg.(string)
			if !ok {
				return false, fmt.Errorf("prefix %v: want a string", arg)
			}
			return present && isString && strings.HasPrefix(s, p), nil
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return false, fmt.Errorf("exists %v: want true or false", arg)
			}
			return present == b, nil
		case "anything-but":
			if !present {
				return false, nil
			}
			switch a := arg.(type) {
			case map[string]any:
				p, ok := a["prefix"].(string)
				if len(a) != 1 || !ok {
					return false, fmt.Errorf("anything-but %v: only {prefix: …} is understood", a)
				}
				return isString && !strings.HasPrefix(s, p), nil
			case []any:
				for _, x := range a {
					if reflect.DeepEqual(x, got) {
						return false, nil
					}
				}
				return true, nil
			default:
				return !reflect.DeepEqual(a, got), nil
			}
		}
		return false, fmt.Errorf("operator %s is not understood", name)
	}
	return false, nil
}

func TestMatchPattern(t *testing.T) {
	signIn := map[string]any{"source": "aws.signin", "detail-type": "AWS Console Sign In via CloudTrail",
		"detail": map[string]any{"eventName": "ConsoleLogin", "resources": []any{"a", "b"}}}
	tests := []struct {
		name    string
		pattern string
		want    bool
		wantErr string
	}{
		{"literal", `{"source": ["aws.signin"]}`, true, ""},
		{"literal list", `{"source": ["aws.ec2", "aws.signin"]}`, true, ""},
		{"other literal", `{"source": ["aws.ec2"]}`, false, ""},
		{"prefix", `{"source": [{"prefix": "aws."}]}`, true, ""},
		{"other prefix", `{"source": [{"prefix": "com."}]}`, false, ""},
		{"fields are AND", `{"source": ["aws.signin"], "detail-type": ["AWS API Call via CloudTrail"]}`, false, ""},
		{"nested", `{"detail": {"eventName": ["ConsoleLogin"]}}`, true, ""},
		{"nested missing", `{"detail": {"errorCode": ["Failed"]}}`, false, ""},
		{"array element", `{"detail": {"resources": ["b"]}}`, true, ""},
		{"anything-but", `{"source": [{"anything-but": "aws.ec2"}]}`, true, ""},
		{"anything-but list", `{"source": [{"anything-but": ["aws.ec2", "aws.signin"]}]}`, false, ""},
		{"anything-but prefix", `{"source": [{"anything-but": {"prefix": "aws."}}]}`, false, ""},
		{"anything-but missing field", `{"region": [{"anything-but": "x"}]}`, false, ""},
		{"exists", `{"detail": {"eventName": [{"exists": true}]}}`, true, ""},
		{"exists false", `{"detail": {"errorCode": [{"exists": false}]}}`, true, ""},
		{"unknown operator", `{"source": [{"wildcard": "aws.*"}]}`, false, "operator wildcard is not understood"},
		{"unknown operator in missing object", `{"missing": {"x": [{"suffix": "y"}]}}`, false, "operator suffix"},
		{"not a list", `{"source": "aws.signin"}`, false, "is not a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pattern map[string]any
			if err := json.Unmarshal([]byte(tt.pattern), &pattern); err != nil {
				t.Fatal(err)
			}
			got, err := matchPattern(pattern, signIn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("match = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// eventRule is one EventBridge rule of a deployed template: an
// AWS::Events::Rule or the rule SAM generates for a function's EventBridgeRule
// event (named FUNCTION.EVENT here).
type eventRule struct {
	name    string
	pattern map[string]any
}

// eventRules returns every EventBridge rule the deployment creates.
func eventRules(d *deployment) []eventRule {
	var rules []eventRule
	for id, fn := range d.resources("AWS::Serverless::Function") {
		props, _ := fn["Properties"].(map[string]any)
		events, _ := props["Events"].(map[string]any)
		for name, e := range events {
			event, _ := e.(map[string]any)
			if event["Type"] == "EventBridgeRule" || event["Type"] == "CloudWatchEvent" {
				p, _ := event["Properties"].(map[string]any)
				pattern, _ := p["Pattern"].(map[string]any)
				rules = append(rules, eventRule{id + "." + name, pattern})
			}
		}
	}
	for id, r := range d.resources("AWS::Events::Rule") {
		p, _ := r["Properties"].(map[string]any)
		pattern, _ := p["EventPattern"].(map[string]any)
		rules = append(rules, eventRule{id, pattern})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].name < rules[j].name })
	return rules
}

// deployments are the three templates deployed so that every rule exists:
// the main stack with an organization, a member account that forwards, and
// the sign-in forwarder in a region other than trailguard's.
func deployments(t *testing.T) map[string]*deployment {
	return map[string]*deployment{
		"template.yaml": deploy(t, mustLoad(t, repoPath("template.yaml")), map[string]string{
			"AllowedCidrs": "203.0.113.0/24", "TrailBucketName": "trail-bucket", "OrganizationId": "o-a1b2c3d4e5",
		}),
		"member-role.yaml": deploy(t, mustLoad(t, repoPath("templates", "member-role.yaml")), map[string]string{
			"EnricherRoleArn": "arn:aws:iam::111111111111:role/enricher", "TrailguardAccountId": "111111111111",
			"AWS::AccountId": "222222222222",
		}),
		"signin-forwarder.yaml": deploy(t, mustLoad(t, repoPath("templates", "signin-forwarder.yaml")), map[string]string{
			"AWS::Region": "eu-west-1",
		}),
	}
}

// awsOnlySource reports why a rule's source pattern could match an event that
// no AWS service sent: every value must be a literal "aws.…" or a prefix that
// starts with "aws.". Only AWS services can put events with such sources.
func awsOnlySource(pattern map[string]any) error {
	values, ok := pattern["source"].([]any)
	if !ok || len(values) == 0 {
		return fmt.Errorf("no source filter: any source matches, a forged %q too", "com.attacker.forged")
	}
	for _, v := range values {
		switch x := v.(type) {
		case string:
			if !strings.HasPrefix(x, "aws.") || len(x) == len("aws.") {
				return fmt.Errorf("source %q is not an AWS service's", x)
			}
		case map[string]any:
			p, ok := x["prefix"].(string)
			if len(x) != 1 || !ok || !strings.HasPrefix(p, "aws.") {
				return fmt.Errorf("source %v may match sources that are not AWS's: only literals and prefixes starting with \"aws.\" are", x)
			}
		default:
			return fmt.Errorf("source value %v is not understood", v)
		}
	}
	return nil
}

// Only AWS can speak for AWS: the default bus takes events from the whole
// organization (PutEvents), so a rule without a source filter would take a
// forged "AWS API Call via CloudTrail" for a real one. "aws" alone is no AWS
// service's source and matches nothing; "aws." and longer can only come from
// AWS (PutEvents refuses the prefix to everyone else).
func TestRulesTakeOnlyAWSSources(t *testing.T) {
	forged := []string{"com.attacker.forged", "aws", "AWS.signin", "awsx.signin", "aws-signin", ""}
	for file, d := range deployments(t) {
		rules := eventRules(d)
		if len(rules) == 0 {
			t.Fatalf("%s: no EventBridge rule: nothing was checked", file)
		}
		for _, r := range rules {
			t.Run(file+"/"+r.name, func(t *testing.T) {
				if err := awsOnlySource(r.pattern); err != nil {
					t.Error(err)
				}
				if dt, _ := r.pattern["detail-type"].([]any); len(dt) == 0 {
					t.Error("no detail-type filter")
				}
				if r.pattern["source"] == nil {
					return
				}
				source := map[string]any{"source": r.pattern["source"]}
				for _, s := range forged {
					if ok, err := matchPattern(source, map[string]any{"source": s}); ok || err != nil {
						t.Errorf("source %q: match %v, %v; want no match", s, ok, err)
					}
				}
			})
		}
	}
}

func TestAWSOnlySourceReportsOpenPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr string
	}{
		{`{"source": ["aws.signin"]}`, ""},
		{`{"source": [{"prefix": "aws."}, "aws.s3"]}`, ""},
		{`{"detail-type": ["AWS API Call via CloudTrail"]}`, "no source filter"},
		{`{"source": []}`, "no source filter"},
		{`{"source": [{"prefix": "aws"}]}`, "may match sources that are not AWS's"},
		{`{"source": [{"prefix": ""}]}`, "may match sources that are not AWS's"},
		{`{"source": [{"anything-but": "com.x"}]}`, "may match sources that are not AWS's"},
		{`{"source": ["aws.signin", "com.partner"]}`, `source "com.partner" is not an AWS service's`},
		{`{"source": ["aws."]}`, `source "aws." is not an AWS service's`},
	}
	for _, tt := range tests {
		var pattern map[string]any
		if err := json.Unmarshal([]byte(tt.pattern), &pattern); err != nil {
			t.Fatal(err)
		}
		err := awsOnlySource(pattern)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error %v, want %q", tt.pattern, err, tt.wantErr)
		}
	}
}

// A real CloudTrail event reaches its functions; the same event with a forged
// source reaches no rule of any template (samples from events/, recorded as
// EventBridge delivers them).
func TestForgedSourceMatchesNoRule(t *testing.T) {
	deps := deployments(t)
	samples := []struct {
		file     string
		template string
		wantRule string
	}{
		{"events/logincheck/untrusted-ipv4.json", "template.yaml", "LoginCheckFunction.SignIn"},
		{"events/logincheck/identity-center-user.json", "template.yaml", "LoginCheckFunction.SignIn"},
		{"events/tagenrich/ec2-1-run-instances.json", "template.yaml", "TagEnrichFunction.ApiCall"},
		{"events/rules/trail-stopped.json", "template.yaml", "RulesFunction.ApiCall"},
		{"events/tagenrich/ec2-1-run-instances.json", "member-role.yaml", "ApiCallForwardRule"},
		{"events/logincheck/untrusted-ipv4.json", "member-role.yaml", "SignInForwardRule"},
		{"events/logincheck/untrusted-ipv4.json", "signin-forwarder.yaml", "SignInForwardRule"},
	}
	for _, s := range samples {
		t.Run(s.template+"/"+s.file, func(t *testing.T) {
			data, err := os.ReadFile(repoPath(s.file))
			if err != nil {
				t.Fatal(err)
			}
			var event map[string]any
			if err := json.Unmarshal(data, &event); err != nil {
				t.Fatal(err)
			}
			matched := func() []string {
				var names []string
				for _, r := range eventRules(deps[s.template]) {
					ok, err := matchPattern(r.pattern, event)
					if err != nil {
						t.Fatalf("%s: %v", r.name, err)
					}
					if ok {
						names = append(names, r.name)
					}
				}
				return names
			}
			if got := matched(); !contains(got, s.wantRule) {
				t.Errorf("genuine event (source %v) matched %v, want %s among them", event["source"], got, s.wantRule)
			}
			event["source"] = "com.attacker.forged"
			if got := matched(); len(got) != 0 {
				t.Errorf("forged source matched %v, want no rule", got)
			}
		})
	}
}

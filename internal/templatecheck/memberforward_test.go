package templatecheck

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// covers reports whether EventBridge pattern a matches every event pattern b
// matches, for the pattern forms the templates use: fields with lists of
// literal strings and {prefix: …}, and nested fields. Anything else (another
// operator, an intrinsic) is not understood, and not covered.
func covers(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for field, want := range x {
			got, ok := y[field]
			if !ok || !covers(want, got) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(y) == 0 {
			return false
		}
		for _, value := range y {
			if !valueCovered(x, value) {
				return false
			}
		}
		return true
	default:
		return false
	}
}

// valueCovered reports whether one of the values of a field's list matches
// every event value matches.
func valueCovered(list []any, value any) bool {
	for _, v := range list {
		switch {
		case isLiteral(v) && reflect.DeepEqual(v, value):
			return true
		case prefixOf(v) != nil:
			p := *prefixOf(v)
			if s, ok := value.(string); ok && strings.HasPrefix(s, p) {
				return true
			}
			if q := prefixOf(value); q != nil && strings.HasPrefix(*q, p) {
				return true
			}
		}
	}
	return false
}

func isLiteral(v any) bool {
	switch v.(type) {
	case string, int, float64, bool:
		return true
	}
	return false
}

// prefixOf returns the prefix of a {prefix: "…"} value, or nil.
func prefixOf(v any) *string {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil
	}
	p, ok := m["prefix"].(string)
	if !ok {
		return nil
	}
	return &p
}

// cloudTrailPatterns returns the event patterns of a template's rules that
// match CloudTrail events (a detail-type "… via CloudTrail"), keyed by
// FUNCTION.EVENT for a SAM function's EventBridgeRule and by logical ID for
// an AWS::Events::Rule.
func cloudTrailPatterns(tpl map[string]any) map[string]any {
	found := map[string]any{}
	add := func(name string, pattern any) {
		p, _ := pattern.(map[string]any)
		for _, dt := range literals(p["detail-type"]) {
			if strings.HasSuffix(dt, " via CloudTrail") {
				found[name] = pattern
				return
			}
		}
	}
	for id, fn := range Resources(tpl, "AWS::Serverless::Function") {
		props, _ := fn["Properties"].(map[string]any)
		events, _ := props["Events"].(map[string]any)
		for name, e := range events {
			event, _ := e.(map[string]any)
			if event["Type"] != "EventBridgeRule" {
				continue
			}
			eventProps, _ := event["Properties"].(map[string]any)
			add(id+"."+name, eventProps["Pattern"])
		}
	}
	for id, rule := range Resources(tpl, "AWS::Events::Rule") {
		props, _ := rule["Properties"].(map[string]any)
		add(id, props["EventPattern"])
	}
	return found
}

// forwardingProblems reports every pattern of want that no forwarded pattern
// covers (events trailguard would miss) and every forwarded pattern that no
// pattern of want covers (events sent for nothing): the forwarded patterns
// must match exactly the union of want.
func forwardingProblems(want, forwarded map[string]any) []string {
	var problems []string
	coveredBy := func(p any, set map[string]any) bool {
		for _, q := range set {
			if covers(q, p) {
				return true
			}
		}
		return false
	}
	for name, p := range want {
		if !coveredBy(p, forwarded) {
			problems = append(problems, fmt.Sprintf("%s: pattern %v is not forwarded", name, p))
		}
	}
	for name, p := range forwarded {
		if !coveredBy(p, want) {
			problems = append(problems, fmt.Sprintf("%s: forwards %v, which no trailguard rule matches", name, p))
		}
	}
	sort.Strings(problems)
	return problems
}

// The member accounts' forwarding rules must send exactly the CloudTrail
// events trailguard's functions subscribe to: a pattern widened or narrowed in
// template.yaml only would silently drop member accounts' events, or pay for
// events nothing reads.
func TestMemberForwarderMatchesTrailguardRules(t *testing.T) {
	want := cloudTrailPatterns(mustLoad(t, repoPath("template.yaml")))
	for _, name := range []string{"TagEnrichFunction.ApiCall", "RulesFunction.ApiCall", "RulesFunction.SignIn", "LoginCheckFunction.SignIn"} {
		if want[name] == nil {
			t.Fatalf("template.yaml: no CloudTrail pattern %s (found %v)", name, want)
		}
	}
	member := mustLoad(t, repoPath("templates", "member-role.yaml"))
	forwarded := map[string]any{}
	for id, rule := range Resources(member, "AWS::Events::Rule") {
		forwarded[id] = rule["Properties"].(map[string]any)["EventPattern"]
	}
	if len(forwarded) == 0 {
		t.Fatal("member-role.yaml has no AWS::Events::Rule")
	}
	for _, p := range forwardingProblems(want, forwarded) {
		t.Error(p)
	}
}

func TestCoversPatterns(t *testing.T) {
	apiCall := []any{"AWS API Call via CloudTrail"}
	tests := []struct {
		name string
		a, b map[string]any
		want bool
	}{
		{"same", map[string]any{"detail-type": apiCall}, map[string]any{"detail-type": apiCall}, true},
		{"fewer fields is wider", map[string]any{"detail-type": apiCall},
			map[string]any{"source": []any{map[string]any{"prefix": "aws."}}, "detail-type": apiCall}, true},
		{"more fields is narrower", map[string]any{"source": []any{map[string]any{"prefix": "aws."}}, "detail-type": apiCall},
			map[string]any{"detail-type": apiCall}, false},
		{"prefix covers literal", map[string]any{"source": []any{map[string]any{"prefix": "aws."}}},
			map[string]any{"source": []any{"aws.ec2", "aws.s3"}}, true},
		{"prefix covers longer prefix", map[string]any{"source": []any{map[string]any{"prefix": "aws."}}},
			map[string]any{"source": []any{map[string]any{"prefix": "aws.ec"}}}, true},
		{"literal does not cover prefix", map[string]any{"source": []any{"aws.ec2"}},
			map[string]any{"source": []any{map[string]any{"prefix": "aws."}}}, false},
		{"one value missing", map[string]any{"detail-type": []any{"A", "B"}},
			map[string]any{"detail-type": []any{"A", "C"}}, false},
		{"nested", map[string]any{"detail": map[string]any{"eventSource": []any{"ec2.amazonaws.com"}}},
			map[string]any{"detail": map[string]any{"eventSource": []any{"ec2.amazonaws.com"}, "readOnly": []any{false}}}, true},
		{"unknown operator", map[string]any{"source": []any{map[string]any{"anything-but": "aws.s3"}}},
			map[string]any{"source": []any{"aws.ec2"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := covers(tt.a, tt.b); got != tt.want {
				t.Errorf("covers(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestForwardingProblemsReportsGaps(t *testing.T) {
	apiCall := []any{"AWS API Call via CloudTrail"}
	signIn := map[string]any{"source": []any{"aws.signin"}, "detail-type": []any{"AWS Console Sign In via CloudTrail"}}
	want := map[string]any{
		"Enricher.ApiCall": map[string]any{"detail-type": apiCall},
		"Rules.ApiCall":    map[string]any{"source": []any{map[string]any{"prefix": "aws."}}, "detail-type": apiCall},
		"Login.SignIn":     signIn,
	}
	forwarded := map[string]any{
		// Narrower than the enricher's rule: non-aws.* sources are lost.
		"ApiCalls": map[string]any{"source": []any{map[string]any{"prefix": "aws."}}, "detail-type": apiCall},
		// Service events of every source: trailguard reads only aws.signin's.
		"ServiceEvents": map[string]any{"detail-type": []any{"AWS Service Event via CloudTrail"}},
	}
	got := forwardingProblems(want, forwarded)
	wantProblems := []string{
		"Enricher.ApiCall: pattern map[detail-type:[AWS API Call via CloudTrail]] is not forwarded",
		"ServiceEvents: forwards map[detail-type:[AWS Service Event via CloudTrail]], which no trailguard rule matches",
		"Login.SignIn: pattern map[detail-type:[AWS Console Sign In via CloudTrail] source:[aws.signin]] is not forwarded",
	}
	assertProblems(t, got, wantProblems)
}

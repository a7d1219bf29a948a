package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/internal/templatecheck"
)

// resolve evaluates the few intrinsics PartitionsRule's pattern uses, for given parameter
// values and conditions.
func resolve(v any, params map[string]string, conds map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			return params[ref]
		}
		if sub, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			for k, val := range params {
				sub = strings.ReplaceAll(sub, "${"+k+"}", val)
			}
			return sub
		}
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 {
			if conds[args[0].(string)] {
				return resolve(args[1], params, conds)
			}
			return resolve(args[2], params, conds)
		}
		out := map[string]any{}
		for k, val := range x {
			out[k] = resolve(val, params, conds)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = resolve(val, params, conds)
		}
		return out
	}
	return v
}

// matches is EventBridge matching for what the rule uses: lists of exact strings and
// {"prefix": …} filters, nested objects.
func matches(pattern, event any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		ev, ok := event.(map[string]any)
		if !ok {
			return false
		}
		for k, sub := range p {
			if !matches(sub, ev[k]) {
				return false
			}
		}
		return true
	case []any:
		s, ok := event.(string)
		if !ok {
			return false
		}
		for _, alt := range p {
			switch a := alt.(type) {
			case string:
				if a == s {
					return true
				}
			case map[string]any:
				if prefix, ok := a["prefix"].(string); ok && strings.HasPrefix(s, prefix) {
					return true
				}
			}
		}
	}
	return false
}

// The deployed rule delivers exactly the sample EventBridge events the function handles:
// log files of the trail bucket under its prefix, not other buckets or other prefixes.
func TestPartitionsRuleMatchesTheSampleEvents(t *testing.T) {
	tpl, err := templatecheck.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rule := templatecheck.Resources(tpl, "AWS::Events::Rule")["PartitionsRule"]
	if rule == nil {
		t.Fatal("template.yaml has no PartitionsRule")
	}
	raw := rule["Properties"].(map[string]any)["EventPattern"]
	var sample map[string]any
	if err := json.Unmarshal(localtest.Event(t, "partitions", "eventbridge-object-created.json"), &sample); err != nil {
		t.Fatal(err)
	}
	withKey := func(key, bucket string) map[string]any {
		ev := resolve(sample, nil, nil).(map[string]any) // a copy
		detail := ev["detail"].(map[string]any)
		detail["object"].(map[string]any)["key"] = key
		detail["bucket"].(map[string]any)["name"] = bucket
		return ev
	}
	orgKey := "AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/f.json.gz"
	tests := []struct {
		prefix string
		event  map[string]any
		want   bool
	}{
		{"", sample, true},
		{"", withKey(orgKey, "some-other-bucket"), false},
		{"", withKey("audit/"+orgKey, trailBucket), false},
		{"audit", withKey("audit/"+orgKey, trailBucket), true},
		{"audit", sample, false},
		{"", withKey("exports/report.csv", trailBucket), false},
	}
	for _, tt := range tests {
		pattern := resolve(raw, map[string]string{"TrailBucketName": trailBucket, "TrailPrefix": tt.prefix},
			map[string]bool{"HasTrailPrefix": tt.prefix != ""})
		key := tt.event["detail"].(map[string]any)["object"].(map[string]any)["key"]
		bucket := tt.event["detail"].(map[string]any)["bucket"].(map[string]any)["name"]
		if got := matches(pattern, tt.event); got != tt.want {
			t.Errorf("TrailPrefix %q, s3://%s/%s: matched %v, want %v (pattern %s)", tt.prefix, bucket, key, got, tt.want, fmt.Sprint(pattern))
		}
	}
}

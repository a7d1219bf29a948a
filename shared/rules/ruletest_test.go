package rules

import (
	"strings"
	"testing"
)

func TestRunTests(t *testing.T) {
	src := goodRule + `---
id: only-positive
title: only positive
severity: LOW
when: event.eventName == "StopLogging"
tests:
  - name: stop
    expect: true
    event: {"eventID": "1", "eventName": "StopLogging"}
---
id: wrong-expectation
title: wrong
severity: LOW
when: event.eventName == "StopLogging"
tests:
  - name: says start matches
    expect: true
    event: {"eventID": "2", "eventName": "StartLogging"}
  - name: start
    expect: false
    event: {"eventID": "3", "eventName": "StartLogging"}
---
id: errors
title: errors
severity: LOW
when: event.requestParameters.bucketName == "b"
tests:
  - name: no bucket
    expect: false
    event: {"eventID": "4", "eventName": "ListBuckets"}
  - name: bucket
    expect: true
    event: {"eventID": "5", "eventName": "GetBucketAcl", "requestParameters": {"bucketName": "b"}}
---
id: as-eventbridge-delivers
title: EventBridge
severity: LOW
when: event.eventName == "ConsoleLogin"
tests:
  - name: EventBridge envelope
    expect: true
    event:
      version: "0"
      id: 7a9c1e3b-5d7f-4b9d-8e1a-3c5e7a9c1e3b
      detail-type: AWS Console Sign In via CloudTrail
      source: aws.signin
      account: "111122223333"
      time: "2026-11-20T09:12:30Z"
      region: us-east-1
      resources: []
      detail: {"eventID": "6", "eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}}
  - name: malformed record
    expect: false
    event: ["eventID", 7, "eventName", "ConsoleLogin"]
`
	rules, err := Parse([]byte(src), "own/r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	reports := e.RunTests()
	byID := map[string]Report{}
	for _, r := range reports {
		byID[r.Rule.ID] = r
	}
	if r := byID["trail-stopped"]; !r.Passed() || len(r.Results) != 2 {
		t.Errorf("trail-stopped: %v", r.Summary())
	}
	if r := byID["only-positive"]; r.Passed() || strings.Join(r.Summary(), "\n") != "own/r.yaml: rule only-positive: missing a test with expect: false" {
		t.Errorf("only-positive: passed %t, %q", r.Passed(), r.Summary())
	}
	if r := byID["wrong-expectation"]; r.Passed() || strings.Join(r.Summary(), "\n") != `own/r.yaml:29: rule wrong-expectation: test "says start matches": expected true, got false` {
		t.Errorf("wrong-expectation: passed %t, %q", r.Passed(), r.Summary())
	}
	if r := byID["errors"]; r.Passed() || len(r.Summary()) != 1 || !strings.Contains(r.Summary()[0], `test "no bucket": error: no such key: bucketName`) {
		t.Errorf("errors: passed %t, %q", r.Passed(), r.Summary())
	}
	r := byID["as-eventbridge-delivers"]
	if r.Passed() || !r.Results[0].Passed() || r.Results[1].Err == nil {
		t.Errorf("as-eventbridge-delivers: %q", r.Summary())
	}
}

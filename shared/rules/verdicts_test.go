package rules

import (
	"strconv"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestVerdictKeysDecideTheCondition: over every pack test event, every corpus record and
// 20,000 variations of them, two records whose input keys for a partial rule are equal get
// the same outcome from its condition evaluated uncached (true, false or an error), so a
// cached verdict is the one evaluating would give. The keys must also be shared often enough
// for the check to mean something.
func TestVerdictKeysDecideTheCondition(t *testing.T) {
	e, raws := pathRecords(t)
	type outcome struct {
		matched bool
		failed  bool
		raw     []byte
	}
	seen := map[string]outcome{}
	var evaluated, shared int
	check := func(raw []byte) {
		rec, err := trail.DecodeRecord(raw)
		if err != nil {
			return
		}
		act := &activation{ev: &eventValue{rec: rec, trees: e.treesFor(rec.EventName)}}
		for c := range e.admitted(rec) {
			if !c.partial {
				continue
			}
			key, ok := c.inputKey(nil, act.ev)
			if !ok {
				continue
			}
			matched, err := c.eval(act)
			got := outcome{matched: matched, failed: err != nil, raw: raw}
			evaluated++
			k := c.rule.ID + "\x00" + string(key)
			if prev, ok := seen[k]; ok {
				shared++
				if prev.matched != got.matched || prev.failed != got.failed {
					t.Fatalf("%s: one input key, two outcomes (matched %v, failed %v / matched %v, failed %v):\n%s\n%s",
						c.rule.ID, prev.matched, prev.failed, got.matched, got.failed, prev.raw, raw)
				}
				continue
			}
			seen[k] = got
		}
	}
	for _, raw := range raws {
		check(raw)
	}
	for raw := range variations(t, raws, 20_000) {
		check(raw)
	}
	if shared < evaluated/4 {
		t.Errorf("%d of %d evaluations shared a key: the check checks too little", shared, evaluated)
	}
	t.Logf("%d evaluations, %d distinct keys", evaluated, len(seen))
}

// TestInputKey: what changes a partial rule's input key, and what does not.
func TestInputKey(t *testing.T) {
	e := compileYAML(t, `
id: big-instance
title: t
severity: LOW
when: >-
  event.eventName == "RunInstances"
  && getOr(event.requestParameters.instanceType, "").startsWith("p")
  || getOr(event.responseElements.instancesSet.items, []).exists(i, getOr(i.instanceType, "") == "p2")
fingerprint: [requestParameters.instanceType]
`)
	c := e.rules[0]
	if !c.partial {
		t.Fatal("the rule should be partial")
	}
	base := `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instanceType":"t3.micro","imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"t3.micro"}]}}}`
	keyOf := func(raw string) string {
		rec, err := trail.DecodeRecord([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		k, ok := c.inputKey(nil, &eventValue{rec: rec, trees: e.treesFor(rec.EventName)})
		if !ok {
			t.Fatalf("no key for %s", raw)
		}
		return string(k)
	}
	tests := []struct {
		name, raw string
		same      bool
	}{
		{"another event ID, image and instance ID", `{"eventName":"RunInstances","eventID":"2","requestParameters":{"imageId":"ami-2","instanceType":"t3.micro"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-2","instanceType":"t3.micro"}]}}}`, true},
		{"an escaped key the rule reads", `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instance\u0054ype":"t3.micro","imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"t3.micro"}]}}}`, true},
		{"another principal (not read)", `{"eventName":"RunInstances","eventID":"1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"},"requestParameters":{"instanceType":"t3.micro","imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"t3.micro"}]}}}`, true},
		{"another requested type", `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instanceType":"p3.2xlarge","imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"t3.micro"}]}}}`, false},
		{"a type as an object", `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instanceType":{"value":"t3.micro"},"imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"t3.micro"}]}}}`, false},
		{"another launched type", `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instanceType":"t3.micro","imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"p2"}]}}}`, false},
		{"one more instance", `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instanceType":"t3.micro","imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"t3.micro"},{"instanceId":"i-3","instanceType":"t3.micro"}]}}}`, false},
		{"no response", `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instanceType":"t3.micro","imageId":"ami-1"}}`, false},
		{"a null response", `{"eventName":"RunInstances","eventID":"1","requestParameters":{"instanceType":"t3.micro","imageId":"ami-1"},"responseElements":null}`, false},
		{"another event name (read)", `{"eventName":"StartInstances","eventID":"1","requestParameters":{"instanceType":"t3.micro","imageId":"ami-1"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","instanceType":"t3.micro"}]}}}`, false},
	}
	want := keyOf(base)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := keyOf(tc.raw); (got == want) != tc.same {
				t.Errorf("same key: %v, want %v", got == want, tc.same)
			}
		})
	}
}

// FuzzVerdictKey: two records that differ only in their request and response payloads (any
// JSON), for each partial rule of the pack that may run on them, get equal input keys only if
// the rule's condition, evaluated uncached, has the same outcome on both.
func FuzzVerdictKey(f *testing.F) {
	e, _ := packRecords(f)
	f.Add("RunInstances", `{"instanceType":"p3.2xlarge"}`, `{"instancesSet":{"items":[{"instanceType":"t3.micro"}]}}`, `{"instanceType":"t3.micro"}`, `{"instancesSet":{"items":[{"instanceType":"p3.2xlarge"}]}}`)
	f.Add("RunInstances", `{"instanceType":{"value":"g4dn.xlarge"}}`, `null`, `{"instance\u0054ype":"g4dn.xlarge"}`, `{}`)
	f.Add("PutObject", `{"bucketName":"b","key":"k","x-amz-server-side-encryption-customer-algorithm":"AES256"}`, `{}`, `{"bucketName":"b","key":"k"}`, `{}`)
	f.Add("CopyObject", `{"x-amz-server-side-encryption-customer-algorithm":null}`, `[]`, `{"x-amz-server-side-encryption-customer-algorithm":"AES256","x-amz-server-side-encryption-customer-algorithm":null}`, `1`)
	f.Fuzz(func(t *testing.T, name, reqA, respA, reqB, respB string) {
		outcome := func(c *compiledRule, req, resp string) (string, bool, bool) {
			raw := `{"eventVersion":"1.09","eventID":"e","eventTime":"2026-11-20T08:00:00Z","eventSource":"` + sourceOf(name) +
				`","eventName":` + strconv.Quote(name) + `,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"},` +
				`"recipientAccountId":"111122223333","requestParameters":` + req + `,"responseElements":` + resp + `}`
			rec, err := trail.DecodeRecord([]byte(raw))
			if err != nil {
				return "", false, false
			}
			act := &activation{ev: &eventValue{rec: rec, trees: e.treesFor(rec.EventName)}}
			key, ok := c.inputKey(nil, act.ev)
			if !ok {
				return "", false, false
			}
			matched, err := c.eval(act)
			return string(key), matched, err != nil
		}
		probe, err := trail.DecodeRecord([]byte(`{"eventSource":"` + sourceOf(name) + `","eventName":` + strconv.Quote(name) + `}`))
		if err != nil {
			return
		}
		for c := range e.admitted(probe) {
			if !c.partial {
				continue
			}
			ka, ma, fa := outcome(c, reqA, respA)
			kb, mb, fb := outcome(c, reqB, respB)
			if ka != "" && ka == kb && (ma != mb || fa != fb) {
				t.Fatalf("%s: one key, outcomes matched %v failed %v / matched %v failed %v", c.rule.ID, ma, fa, mb, fb)
			}
		}
	})
}

// sourceOf is the event source of the fuzzed event names (EC2's for any other).
func sourceOf(name string) string {
	if strings.HasSuffix(name, "Object") {
		return "s3.amazonaws.com"
	}
	return "ec2.amazonaws.com"
}

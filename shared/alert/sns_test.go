package alert

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailguard/trailguard/shared/awsfake"
)

// TestSNSPublishOnTheWire drives the real SNS client against the query-protocol fake, which
// rejects what SNS rejects (subject limits, MessageStructure without "default", bad attributes).
func TestSNSPublishOnTheWire(t *testing.T) {
	hostile := sample()
	hostile.User = "mallory\r\nSubject: x\u202e" + strings.Repeat("m", 300)
	tests := []struct {
		name     string
		alerts   []Alert
		throttle int
	}{
		{"one alert", []Alert{sample()}, 0},
		{"hostile text", []Alert{hostile}, 0},
		{"throttled once, retried", []Alert{sample()}, 1},
		{"batch", []Alert{sample(), hostile, sample()}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := awsfake.NewSNS(t, testTopic)
			fake.FailNext(tt.throttle, awsfake.Throttling)
			p := &SNS{Client: sns.NewFromConfig(awsfake.Config(fake.URL())), TopicARN: testTopic}
			if err := p.Publish(context.Background(), tt.alerts); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			pub := fake.Published()
			if len(pub) != len(tt.alerts) {
				t.Fatalf("published %d, want %d", len(pub), len(tt.alerts))
			}
			if got, want := fake.Requests(), tt.throttle+1; got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
			for i, m := range pub {
				want := Render(tt.alerts[i])
				parts, err := m.Structured()
				if err != nil {
					t.Fatal(err)
				}
				if m.TopicARN != testTopic || m.MessageStructure != "json" || m.Subject != want.Subject {
					t.Errorf("message %d: topic %q structure %q subject %q", i, m.TopicARN, m.MessageStructure, m.Subject)
				}
				if parts["default"] != want.Default || parts["email"] != want.Email || parts["sms"] != want.SMS {
					t.Errorf("message %d: texts differ from the rendering", i)
				}
				for _, k := range []string{"severity", "kind", "account"} {
					if a := m.Attributes[k]; a.DataType != "String" || a.StringValue != want.Attributes[k] {
						t.Errorf("message %d: attribute %s = %+v", i, k, a)
					}
				}
			}
		})
	}
}

package logging

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestForInvocationAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-123"})
	ForInvocation(ctx, log).Info("decided", "event_id", "e1")
	ForInvocation(context.Background(), log).Info("local")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"request_id":"req-123"`) || !strings.Contains(lines[0], `"event_id":"e1"`) {
		t.Errorf("lambda line = %q", lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("local line has a request id: %q", lines[1])
	}
}

func TestLevelFromEnv(t *testing.T) {
	t.Setenv("LOG_LEVEL", "WARN")
	var buf bytes.Buffer
	log := New(&buf)
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("LOG_LEVEL=WARN wrote %q", buf.String())
	}
}

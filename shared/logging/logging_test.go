package logging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/trailguard/trailguard/shared/config"
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

func TestLevelValidation(t *testing.T) {
	tests := []struct {
		value   string
		want    slog.Level
		wantErr bool
	}{
		{value: "", want: slog.LevelInfo},
		{value: "DEBUG", want: slog.LevelDebug},
		{value: "debug", want: slog.LevelDebug},
		{value: " warn ", want: slog.LevelWarn},
		{value: "ERROR", want: slog.LevelError},
		{value: "INFO+2", want: slog.LevelInfo + 2},
		{value: "verbose", wantErr: true},
		{value: "0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Setenv("LOG_LEVEL", tt.value)
			got, err := Level()
			if tt.wantErr {
				var ce *config.Error
				if !errors.As(err, &ce) || ce.Var != "LOG_LEVEL" || !strings.Contains(err.Error(), tt.value) {
					t.Fatalf("Level() error = %v, want a configuration error naming LOG_LEVEL and the value", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Level() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

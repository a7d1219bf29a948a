// Package logging gives every function the same structured log: log/slog JSON on stderr, one
// line per decision, each carrying the Lambda request ID so a line leads to its invocation.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns the JSON logger at the level named by LOG_LEVEL (DEBUG, INFO, WARN, ERROR;
// default INFO).
func New(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.TrimSpace(os.Getenv("LOG_LEVEL")))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// ForInvocation returns log with the invocation's Lambda request ID, when ctx has one.
func ForInvocation(ctx context.Context, log *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return log.With("request_id", lc.AwsRequestID)
	}
	return log
}

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

	"github.com/trailguard/trailguard/shared/config"
)

// LevelVar is the environment variable that sets the log level.
const LevelVar = "LOG_LEVEL"

// Level reads LOG_LEVEL: DEBUG, INFO, WARN or ERROR (any case, optionally with an offset
// such as INFO+2, as log/slog spells levels); unset or empty is INFO. Anything else is a
// configuration error naming the variable, so a typo (LOG_LEVEL=verbose) stops the function
// at start instead of silently logging at another level than asked.
func Level() (slog.Level, error) {
	v := strings.TrimSpace(os.Getenv(LevelVar))
	if v == "" {
		return slog.LevelInfo, nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(v)); err != nil {
		return slog.LevelInfo, &config.Error{Var: LevelVar, Problem: "want DEBUG, INFO, WARN or ERROR, got " + quote(v)}
	}
	return level, nil
}

func quote(s string) string { return `"` + s + `"` }

// New returns the JSON logger at the level named by LOG_LEVEL (default INFO). An invalid
// LOG_LEVEL falls back to INFO here: a function's start checks it first with Level (the
// localrun setup does) and stops on it.
func New(w io.Writer) *slog.Logger {
	level, _ := Level()
	return NewAt(w, level)
}

// NewAt returns the JSON logger at level.
func NewAt(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// ForInvocation returns log with the invocation's Lambda request ID, when ctx has one.
func ForInvocation(ctx context.Context, log *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return log.With("request_id", lc.AwsRequestID)
	}
	return log
}

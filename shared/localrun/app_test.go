package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type testSpec struct {
	Window string `envconfig:"TG_APP_WINDOW" default:"1h"`
	Name   string `envconfig:"TG_APP_NAME"`
}

// newTestApp is an App writing to buffers, whose exit is recorded instead of ending the test.
func newTestApp(t *testing.T, args ...string) (*App, *bytes.Buffer, *bytes.Buffer, *int) {
	t.Helper()
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	os.Unsetenv("AWS_LAMBDA_RUNTIME_API")
	var stdout, stderr bytes.Buffer
	exit := -1
	a := NewApp("demo", "does a thing", "print JSON")
	a.stdout, a.stderr, a.stdin = &stdout, &stderr, nil
	a.exit = func(code int) { exit = code }
	a.Env = Env{Spec: &testSpec{}, Local: map[string]string{"TG_APP_NAME": "local"}, Doc: map[string]string{"TG_APP_WINDOW": "how long"}}
	a.parse(args)
	return a, &stdout, &stderr, &exit
}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		logLevel   string
		wantExit   int // -1: did not exit
		wantStdout []string
		wantStderr string
		verbose    bool
	}{
		{name: "help lists inputs, flags and environment", args: []string{"-h"}, wantExit: 0,
			wantStdout: []string{"demo — does a thing", "Inputs:", "-json", "-v", "TG_APP_WINDOW", "how long", "(default 1h)", "TG_APP_NAME", "(undocumented)", "(local default local)", "LOG_LEVEL"}},
		{name: "unknown flag", args: []string{"-nope"}, wantExit: ExitConfig, wantStderr: "flag provided but not defined: -nope"},
		{name: "invalid LOG_LEVEL names the variable", logLevel: "verbose", wantExit: ExitConfig, wantStderr: "LOG_LEVEL"},
		{name: "quiet by default", logLevel: "INFO", wantExit: -1},
		{name: "-v", args: []string{"-v"}, wantExit: -1, verbose: true},
		{name: "LOG_LEVEL=DEBUG is verbose", logLevel: "debug", wantExit: -1, verbose: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LOG_LEVEL", tt.logLevel)
			a, stdout, stderr, exit := newTestApp(t, tt.args...)
			if *exit != tt.wantExit {
				t.Fatalf("exit %d, want %d; stderr %q", *exit, tt.wantExit, stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.wantStderr)
			}
			if tt.wantExit == -1 && a.Verbose != tt.verbose {
				t.Errorf("Verbose = %v, want %v", a.Verbose, tt.verbose)
			}
		})
	}
}

// TestReplayLines: one line per event on stdout, what the handler printed under it, logs and
// metrics on stderr only when verbose.
func TestReplayLines(t *testing.T) {
	signIn := `{"detail-type":"AWS Console Sign In via CloudTrail","detail":{"eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.10","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","userName":"alice"}}}`
	tests := []struct {
		name       string
		verbose    bool
		handle     func(a *App) HandleFunc
		wantStdout string
		wantStderr []string
		noStderr   []string
		wantStatus int
	}{
		{name: "pass", handle: func(a *App) HandleFunc {
			return func(ctx context.Context, _ json.RawMessage) error {
				a.Log.InfoContext(ctx, "sign-in ok", "decision", "pass")
				a.Metrics.Add("EventsChecked", 1)
				return nil
			}
		}, wantStdout: "sign-in ok: alice from 192.0.2.10 acct 111122223333\n", noStderr: []string{"EventsChecked", `"msg"`}},
		{name: "verbose adds logs and metrics on stderr", verbose: true, handle: func(a *App) HandleFunc {
			return func(ctx context.Context, _ json.RawMessage) error {
				a.Log.InfoContext(ctx, "sign-in ok", "decision", "pass")
				a.Metrics.Add("EventsChecked", 1)
				return nil
			}
		}, wantStdout: "sign-in ok: alice from 192.0.2.10 acct 111122223333\n", wantStderr: []string{`"msg":"sign-in ok"`, `"EventsChecked":1`}},
		{name: "alert line comes before its rendering", handle: func(a *App) HandleFunc {
			return func(ctx context.Context, _ json.RawMessage) error {
				a.Log.InfoContext(ctx, "alert raised", "decision", "alert", "kind", "untrusted-source-ip", "severity", "HIGH")
				a.Out.Write([]byte("── ALERT rendering\n"))
				a.Log.With("kind", "untrusted-source-ip").InfoContext(ctx, "alert sent", "decision", "send")
				return nil
			}
		}, wantStdout: "ALERT HIGH untrusted-source-ip: alice from 192.0.2.10 acct 111122223333\n── ALERT rendering\n"},
		{name: "suppressed", handle: func(a *App) HandleFunc {
			return func(ctx context.Context, _ json.RawMessage) error {
				a.Log.InfoContext(ctx, "alert raised", "decision", "alert", "kind", "k", "severity", "HIGH")
				a.Log.InfoContext(ctx, "alert suppressed", "decision", "suppress", "kind", "k")
				return nil
			}
		}, wantStdout: "suppressed (repeat within SUPPRESS_WINDOW): k: alice from 192.0.2.10 acct 111122223333\n"},
		{name: "ignored with a reason", handle: func(a *App) HandleFunc {
			return func(ctx context.Context, _ json.RawMessage) error {
				a.Log.InfoContext(ctx, "event not recorded", "decision", "ignore", "reason", "read-only call")
				return nil
			}
		}, wantStdout: "ignored: read-only call: alice from 192.0.2.10 acct 111122223333\n"},
		{name: "malformed", handle: func(a *App) HandleFunc {
			return func(ctx context.Context, _ json.RawMessage) error {
				a.Log.ErrorContext(ctx, "malformed event", "decision", "reject")
				return errors.New("malformed event: field detail.eventTime: missing")
			}
		}, wantStdout: "skipped: malformed: field detail.eventTime: missing\n", wantStderr: []string{"ev.json:1: malformed event: field detail.eventTime: missing"}, wantStatus: ExitMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LOG_LEVEL", "")
			file := filepath.Join(t.TempDir(), "ev.json")
			if err := os.WriteFile(file, []byte(signIn), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{file}
			if tt.verbose {
				args = []string{"-v", file}
			}
			a, stdout, stderr, _ := newTestApp(t, args...)
			if got := a.Replay(context.Background(), tt.handle(a)); got != tt.wantStatus {
				t.Errorf("status %d, want %d", got, tt.wantStatus)
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout %q, want %q", stdout, tt.wantStdout)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tt.noStderr {
				if strings.Contains(stderr.String(), w) {
					t.Errorf("stderr has %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestNoInputOnTerminal: with no file and stdin a terminal, the usage instead of a silent wait.
func TestNoInputOnTerminal(t *testing.T) {
	pt, err := openPty()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer pt.Close()
	t.Setenv("LOG_LEVEL", "")
	a, _, stderr, _ := newTestApp(t)
	a.stdin = pt
	if got := a.Replay(context.Background(), func(context.Context, json.RawMessage) error { return nil }); got != ExitConfig {
		t.Errorf("status %d, want %d", got, ExitConfig)
	}
	if !strings.Contains(stderr.String(), "no input") || !strings.Contains(stderr.String(), "Usage:") {
		t.Errorf("stderr %q lacks the usage", stderr)
	}
	if devNull, err := os.Open(os.DevNull); err == nil {
		defer devNull.Close()
		if isTerminal(devNull) {
			t.Error("/dev/null is taken for a terminal")
		}
	}
}

//go:build !lambda

package localrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/localstate"
)

// TestState: -state DIR gives a sender the state's alert ledger and history (unless a state
// table is configured), the state is closed at exit, and -h documents the flag.
func TestState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	tests := []struct {
		name       string
		args       []string
		cfg        alert.Config
		wantState  bool
		wantLedger bool
	}{
		{"no -state: memory", nil, alert.Config{}, false, false},
		{"-state: the state's ledger and history", []string{"-state", dir}, alert.Config{SuppressWindow: time.Hour, DedupeFor: time.Hour, FloodCap: 3}, true, true},
		{"-state with ALERT_STATE_TABLE: the table", []string{"-state", dir}, alert.Config{StateTable: "alerts"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _, stderr, exit := newTestApp(t, tc.args...)
			if got := a.StateDir() != ""; got != tc.wantState {
				t.Fatalf("StateDir %q", a.StateDir())
			}
			s := &alert.Sender{Ledger: &alert.MemoryLedger{}, History: &alert.MemoryHistory{}}
			a.UseState(s, tc.cfg)
			if *exit != -1 {
				t.Fatalf("exit %d: %s", *exit, stderr)
			}
			_, ledger := s.Ledger.(*localstate.Ledger)
			_, history := s.History.(*localstate.History)
			if ledger != tc.wantLedger || history != tc.wantLedger {
				t.Errorf("ledger %T, history %T", s.Ledger, s.History)
			}
			if tc.wantLedger {
				if err := s.History.Record(context.Background(), []alert.Sent{{At: time.Now(), Kind: "k", Key: "x"}}); err != nil {
					t.Fatal(err)
				}
			}
			if code := a.closeState(ExitOK); code != ExitOK {
				t.Errorf("close: exit %d: %s", code, stderr)
			}
			if tc.wantLedger {
				if _, err := os.Stat(filepath.Join(dir, localstate.FileName)); err != nil {
					t.Errorf("no state database: %v", err)
				}
			}
		})
	}
	var help strings.Builder
	NewApp("demo", "does a thing", "print JSON").Usage(&help)
	if !strings.Contains(help.String(), "-state DIR") || !strings.Contains(help.String(), "docs/local-state.md") {
		t.Errorf("-h does not document -state DIR:\n%s", help.String())
	}
}

// TestStateOpenFails: a state that cannot be opened stops the run, naming it.
func TestStateOpenFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _, stderr, exit := newTestApp(t, "-state", file)
	a.UseState(&alert.Sender{}, alert.Config{})
	if *exit != ExitConfig || !strings.Contains(stderr.String(), file) {
		t.Errorf("exit %d, stderr %q: want ExitConfig naming %s", *exit, stderr, file)
	}
	a.AtExit(func() error { return errors.New("boom") })
	if code := a.closeState(ExitOK); code != ExitMalformed {
		t.Errorf("a failed close: exit %d, want ExitMalformed", code)
	}
}

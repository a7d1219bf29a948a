package localstate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/alert"
)

// childStateEnv makes the test binary a child process of TestTwoOSProcessesSendEachEventOnce.
// childStartEnv is when the children start delivering (Unix ms), so they overlap.
const (
	childStateEnv = "TRAILGUARD_LOCALSTATE_CHILD_DIR"
	childStartEnv = "TRAILGUARD_LOCALSTATE_CHILD_START"
	// childReverseEnv: deliver the events last first, so the two processes meet in the middle
	// and both win some claims and lose some.
	childReverseEnv = "TRAILGUARD_LOCALSTATE_CHILD_REVERSE"
)

// linePublisher prints each published alert's event ID, one a line, for the parent to count.
type linePublisher struct{}

func (linePublisher) Publish(_ context.Context, alerts []alert.Alert) error {
	for _, a := range alerts {
		fmt.Printf("sent %s\n", a.EventID)
	}
	return nil
}

// processEvents is what each child delivers: distinct findings (one principal each), so every
// event must be sent exactly once across the processes.
func processEvents() []alert.Alert {
	var out []alert.Alert
	for i := range 100 {
		a := storecontract.AlertFor(fmt.Sprintf("ev-%02d", i))
		a.Principal = fmt.Sprintf("arn:aws:iam::111122223333:user/u%02d", i)
		out = append(out, a)
	}
	return out
}

// runChild delivers every event through a Sender over the state in dir, retrying an event
// another process holds (alert.ErrInFlight) as Lambda would.
func runChild(dir string, start time.Time, reverse bool) error {
	db, err := Open(dir)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.Ledger(alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour})
	if err != nil {
		return err
	}
	time.Sleep(time.Until(start))
	clock := storecontract.T0
	s := storecontract.QuietSender(l, linePublisher{}, &clock)
	events := processEvents()
	if reverse {
		slices.Reverse(events)
	}
	for _, a := range events {
		for try := 0; ; try++ {
			err := s.Publish(context.Background(), []alert.Alert{a})
			if err == nil {
				break
			}
			if !errors.Is(err, alert.ErrInFlight) || try == 200 {
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// TestTwoOSProcessesSendEachEventOnce: two processes of the test binary deliver the same 100
// events through Senders on one state directory at once (two local runs replaying one trail):
// each event is published once in all.
func TestTwoOSProcessesSendEachEventOnce(t *testing.T) {
	if dir := os.Getenv(childStateEnv); dir != "" {
		ms, _ := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64)
		if err := runChild(dir, time.UnixMilli(ms), os.Getenv(childReverseEnv) != ""); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	dir := t.TempDir()
	db, err := Open(dir) // create the tables before the race
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ledger(alert.LedgerOptions{Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	start := strconv.FormatInt(time.Now().Add(time.Second).UnixMilli(), 10) // both started by then
	var outs [2]bytes.Buffer
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestTwoOSProcessesSendEachEventOnce$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), childStateEnv+"="+dir, childStartEnv+"="+start)
		if i == 1 {
			cmds[i].Env = append(cmds[i].Env, childReverseEnv+"=1")
		}
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i+1, err, outs[i].String())
		}
	}
	sent := map[string]int{}
	for i, out := range outs {
		t.Logf("process %d sent %d", i+1, strings.Count(out.String(), "sent "))
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "sent "); ok {
				sent[id]++
			}
		}
	}
	for _, a := range processEvents() {
		if sent[a.EventID] != 1 {
			t.Errorf("event %s sent %d times by the two processes, want once", a.EventID, sent[a.EventID])
		}
	}
}

package alert

import (
	"context"
	"sync"
	"time"
)

// MemoryLedger is the Ledger of a local run and of unit tests: the same decisions as the
// DynamoDB ledger, held in one process's memory (events are remembered for the process's
// life, so Options.DedupeFor does not apply).
type MemoryLedger struct {
	Options LedgerOptions
	mu      sync.Mutex
	events  map[string]memEvent
	prints  map[string]memPrint
}

type memEvent struct {
	token      string
	done       bool
	leaseUntil time.Time
}

type memPrint struct {
	state                string // "claimed", "sent", "released"
	token                string
	leaseUntil, lastSent time.Time
	suppressed, total    int
}

// Claim implements Ledger.
func (l *MemoryLedger) Claim(_ context.Context, a *Alert, now, leaseUntil time.Time) (Claim, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == nil {
		l.events, l.prints = map[string]memEvent{}, map[string]memPrint{}
	}
	c := Claim{Token: newToken(), Now: now}
	ek := eventKey(a)
	if a.EventID != "" {
		if ev, ok := l.events[ek]; ok {
			switch {
			case ev.done:
				c.Action = Duplicate
				return c, nil
			case ev.leaseUntil.After(now):
				c.Action = InFlight
				return c, nil
			}
		}
		l.events[ek] = memEvent{token: c.Token, leaseUntil: leaseUntil}
	}
	fk := fingerprintKey(a)
	fp, exists := l.prints[fk]
	fp.total++
	claimable := !exists || fp.state == "released" ||
		(fp.state == "sent" && !fp.lastSent.After(now.Add(-l.Options.Window))) ||
		(fp.state == "claimed" && !fp.leaseUntil.After(now))
	if !claimable {
		fp.suppressed++
		l.prints[fk] = fp
		if a.EventID != "" {
			l.events[ek] = memEvent{token: c.Token, done: true}
		}
		c.Action = Suppress
		return c, nil
	}
	fp.state, fp.token, fp.leaseUntil = "claimed", c.Token, leaseUntil
	l.prints[fk] = fp
	c.Action, c.Suppressed, c.Since = Send, fp.suppressed, fp.lastSent
	return c, nil
}

// Commit implements Ledger.
func (l *MemoryLedger) Commit(_ context.Context, a *Alert, c Claim) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fp, ok := l.prints[fingerprintKey(a)]; ok && fp.token == c.Token {
		fp.state, fp.lastSent = "sent", c.Now
		fp.suppressed -= c.Suppressed
		l.prints[fingerprintKey(a)] = fp
	}
	if ev, ok := l.events[eventKey(a)]; ok && ev.token == c.Token {
		l.events[eventKey(a)] = memEvent{token: c.Token, done: true}
	}
	return nil
}

// Release implements Ledger.
func (l *MemoryLedger) Release(_ context.Context, a *Alert, c Claim) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fp, ok := l.prints[fingerprintKey(a)]; ok && fp.token == c.Token {
		fp.state = "released"
		fp.total-- // the retry counts it again
		l.prints[fingerprintKey(a)] = fp
	}
	if ev, ok := l.events[eventKey(a)]; ok && ev.token == c.Token {
		delete(l.events, eventKey(a))
	}
	return nil
}

// Counts reports the fingerprint's total alerts and those held back since the last send.
func (l *MemoryLedger) Counts(a *Alert) (total, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fp := l.prints[fingerprintKey(a)]
	return fp.total, fp.suppressed
}

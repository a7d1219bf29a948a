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
	floods  map[string]*memFlood
}

// memFlood is one FloodKey's window: sends counted in it, alerts folded since the last
// digest, and the digest its opener is sending (restored if that send fails).
type memFlood struct {
	winStart    time.Time
	opener      string
	sent        int
	folded      int
	firstFolded time.Time
	from        addrSet
	// the digest taken by the window's opener, until its Commit or Release
	dFolded int
	dFirst  time.Time
	dFrom   addrSet
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
		l.events, l.prints, l.floods = map[string]memEvent{}, map[string]memPrint{}, map[string]*memFlood{}
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
	if !l.admit(a, &c, now) {
		if !exists {
			fp.state = "released" // claimable: the finding was never sent
		}
		l.prints[fk] = fp
		if a.EventID != "" {
			l.events[ek] = memEvent{token: c.Token, done: true}
		}
		c.Action, c.Fold, c.Folded = Suppress, true, 1
		return c, nil
	}
	fp.state, fp.token, fp.leaseUntil = "claimed", c.Token, leaseUntil
	l.prints[fk] = fp
	c.Action, c.Suppressed, c.Since = Send, fp.suppressed, fp.lastSent
	return c, nil
}

// admit applies flood control to an alert whose finding may be sent: it opens the flood's
// window (taking the previous window's digest), counts the alert in it, or, at the cap, folds
// it and returns false.
func (l *MemoryLedger) admit(a *Alert, c *Claim, now time.Time) bool {
	limit := l.Options.floodCap()
	if limit == 0 {
		return true
	}
	key := floodKey(a)
	fl := l.floods[key]
	switch {
	case fl == nil || !fl.winStart.After(now.Add(-l.Options.Window)):
		if fl == nil {
			fl = &memFlood{}
			l.floods[key] = fl
		}
		fl.dFolded, fl.dFirst, fl.dFrom = fl.folded, fl.firstFolded, fl.from
		fl.folded, fl.firstFolded, fl.from = 0, time.Time{}, addrSet{}
		fl.winStart, fl.opener, fl.sent = now, c.Token, 1
		c.floodOpened = true
		if fl.dFolded > 0 {
			c.Folded, c.FoldedSince, c.FoldedFrom = fl.dFolded, fl.dFirst, fl.dFrom.summary()
		}
	case fl.sent < limit:
		fl.sent++
		c.floodAdmitted = true
	default:
		if fl.folded == 0 {
			fl.firstFolded = now
		}
		fl.folded++
		fl.from.add(a.SourceIP)
		return false
	}
	c.floodWin = fl.winStart
	if fl.sent == limit {
		c.FoldingUntil = fl.winStart.Add(l.Options.Window)
	}
	return true
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
	if fl := l.floods[floodKey(a)]; fl != nil && c.floodOpened && fl.opener == c.Token {
		fl.opener, fl.dFolded, fl.dFirst, fl.dFrom = "", 0, time.Time{}, addrSet{}
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
	if fl := l.floods[floodKey(a)]; fl != nil && fl.winStart.Equal(c.floodWin) {
		switch {
		case c.floodOpened && fl.opener == c.Token:
			// The digest goes back, and the window reopens with the retry, which reports it.
			fl.folded += fl.dFolded
			if fl.dFolded > 0 && (fl.firstFolded.IsZero() || fl.dFirst.Before(fl.firstFolded)) {
				fl.firstFolded = fl.dFirst
			}
			fl.from.merge(fl.dFrom)
			fl.winStart, fl.opener, fl.sent = time.Time{}, "", 0
			fl.dFolded, fl.dFirst, fl.dFrom = 0, time.Time{}, addrSet{}
		case c.floodAdmitted && fl.sent > 0:
			fl.sent--
		}
	}
	if ev, ok := l.events[eventKey(a)]; ok && ev.token == c.Token {
		delete(l.events, eventKey(a))
	}
	return nil
}

// Folded reports the alerts of the alert's FloodKey folded and not yet reported in a digest.
func (l *MemoryLedger) Folded(a *Alert) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fl := l.floods[floodKey(a)]; fl != nil {
		return fl.folded + fl.dFolded
	}
	return 0
}

// Counts reports the fingerprint's total alerts and those held back since the last send.
func (l *MemoryLedger) Counts(a *Alert) (total, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fp := l.prints[fingerprintKey(a)]
	return fp.total, fp.suppressed
}

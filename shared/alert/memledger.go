package alert

import (
	"cmp"
	"context"
	"slices"
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
	dues    map[time.Time]map[string]bool // due bucket → dueMember
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
	// meta is the last folded alert, for a flushed digest; flush the digest a flush holds
	meta  Alert
	flush *memDigest
}

// memDigest is a digest a flush has claimed (DigestLedger), until its Commit; a Release
// lapses its lease so the next flush takes it over.
type memDigest struct {
	folded int
	first  time.Time
	from   addrSet
	meta   Alert
	token  string
	lease  time.Time
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
		l.dues = map[time.Time]map[string]bool{}
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
		// An opener still there after its window never finished (its invocation died, no
		// redelivery took it over): its digest goes back to folded first and this opening
		// carries it with the window's own folds, never overwriting it (DynamoDBLedger's
		// restoreDigest).
		fl.giveBack()
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
		fl.meta = floodMeta(a)
		l.addDue(digestBucket(fl.winStart.Add(l.Options.Window)), key, fl.winStart.UnixMilli())
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
			fl.giveBack()
			fl.winStart, fl.sent = time.Time{}, 0
			if fl.folded > 0 { // due now, should no alert of the flood come to carry it
				l.addDue(digestBucket(c.Now), floodKey(a), fl.winStart.UnixMilli())
			}
		case c.floodAdmitted && fl.sent > 0:
			fl.sent--
		}
	}
	if ev, ok := l.events[eventKey(a)]; ok && ev.token == c.Token {
		delete(l.events, eventKey(a))
	}
	return nil
}

// giveBack returns the digest of the window's opener (if any) to the flood's folded alerts,
// since the first of them all, and forgets the opener.
func (fl *memFlood) giveBack() {
	fl.folded += fl.dFolded
	if fl.dFolded > 0 && (fl.firstFolded.IsZero() || fl.dFirst.Before(fl.firstFolded)) {
		fl.firstFolded = fl.dFirst
	}
	fl.from.merge(fl.dFrom)
	fl.opener, fl.dFolded, fl.dFirst, fl.dFrom = "", 0, time.Time{}, addrSet{}
}

// stranded says the window's opener holds a digest: its own while the window is open, a dead
// invocation's once it ended.
func (fl *memFlood) stranded() bool { return fl.opener != "" && fl.dFolded > 0 }

// Folded reports the alerts of the alert's FloodKey folded and not yet reported in a digest
// (a digest a flush holds counts until its Commit).
func (l *MemoryLedger) Folded(a *Alert) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fl := l.floods[floodKey(a)]; fl != nil {
		n := fl.folded + fl.dFolded
		if fl.flush != nil {
			n += fl.flush.folded
		}
		return n
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

func (l *MemoryLedger) addDue(bucket time.Time, flood string, win int64) {
	if l.dues[bucket] == nil {
		l.dues[bucket] = map[string]bool{}
	}
	l.dues[bucket][dueMember(flood, win)] = true
}

func (l *MemoryLedger) dropDue(d DueDigest) {
	delete(l.dues[d.Bucket], dueMember(d.Flood, d.Win))
	if len(l.dues[d.Bucket]) == 0 {
		delete(l.dues, d.Bucket)
	}
}

// DueDigests implements DigestLedger.
func (l *MemoryLedger) DueDigests(_ context.Context, now time.Time) ([]DueDigest, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	from, to := digestBucket(now.Add(-DigestHorizon)), digestBucket(now)
	var out []DueDigest
	for b, members := range l.dues {
		if b.Before(from) || b.After(to) {
			continue
		}
		for m := range members {
			if d, ok := parseDueMember(b, m); ok {
				out = append(out, d)
			}
		}
	}
	slices.SortFunc(out, func(a, b DueDigest) int {
		return cmp.Or(a.Bucket.Compare(b.Bucket), cmp.Compare(a.Flood, b.Flood), cmp.Compare(a.Win, b.Win))
	})
	return out, nil
}

// ClaimDigest implements DigestLedger: it takes the flood's folded alerts of an ended window
// unless a flush holds a digest (or takes over one whose flush's lease lapsed). An opener's
// digest is left to it while its window is open; once the window ended with the opener still
// there (it died), the digest goes back to folded and this flush takes it (see
// DynamoDBLedger.ClaimDigest).
func (l *MemoryLedger) ClaimDigest(_ context.Context, d DueDigest, now, leaseUntil time.Time) (*Digest, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fl := l.floods[d.Flood]
	switch {
	case fl == nil:
		l.dropDue(d)
		return nil, nil
	case fl.flush != nil && fl.flush.lease.After(now):
		return nil, nil // another flush holds it
	case fl.flush != nil: // that flush failed or died: take its digest over
		fl.flush.token, fl.flush.lease = newToken(), leaseUntil
	case fl.stranded() && !fl.winStart.After(now.Add(-l.Options.Window)): // its opener died
		fl.giveBack()
		fallthrough
	case fl.folded > 0 && !fl.winStart.After(now.Add(-l.Options.Window)):
		fl.flush = &memDigest{folded: fl.folded, first: fl.firstFolded, from: fl.from, meta: fl.meta, token: newToken(), lease: leaseUntil}
		fl.folded, fl.firstFolded, fl.from = 0, time.Time{}, addrSet{}
	default:
		if !l.pending(fl, d, now) {
			l.dropDue(d)
		}
		return nil, nil
	}
	x := fl.flush
	return &Digest{Alert: digestAlert(x.meta, x.folded, x.first, x.from.summary()), Due: d, Token: x.token, Now: now}, nil
}

// pending says whether d's bucket entry must stay: a flush holds the digest, or the flood
// has folded alerts of an ended window, or d's window is still open, or an opener holds a
// digest (until it commits it, or a flush takes it back once its window ended: else a dead
// opener's digest of a flood that stopped would never be reported).
func (l *MemoryLedger) pending(fl *memFlood, d DueDigest, now time.Time) bool {
	open := fl.winStart.After(now.Add(-l.Options.Window))
	return fl.flush != nil || fl.stranded() || (fl.folded > 0 && !open) || (open && fl.winStart.UnixMilli() == d.Win)
}

// CommitDigest implements DigestLedger.
func (l *MemoryLedger) CommitDigest(_ context.Context, d *Digest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fl := l.floods[d.Due.Flood]; fl != nil && fl.flush != nil && fl.flush.token == d.Token {
		fl.flush = nil
		if !l.pending(fl, d.Due, d.Now) {
			l.dropDue(d.Due)
		}
	}
	return nil
}

// ReleaseDigest implements DigestLedger.
func (l *MemoryLedger) ReleaseDigest(_ context.Context, d *Digest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fl := l.floods[d.Due.Flood]; fl != nil && fl.flush != nil && fl.flush.token == d.Token {
		fl.flush.lease = time.Time{}
	}
	return nil
}

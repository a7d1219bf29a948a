package storecontract

import (
	"context"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
)

// LedgerWrite names one of a ledger's writes whose reply a store under test can lose (see
// WriteFaulter): each must be exactly-once when retried after it landed.
type LedgerWrite int

// The ledger writes a WriteFaulter can fault.
const (
	// WriteFold folds an alert into its capped flood window.
	WriteFold LedgerWrite = iota + 1
	// WriteOpen opens a flood window, taking the last window's digest for the alert.
	WriteOpen
	// WriteCount counts an alert in its flood window.
	WriteCount
	// WriteClaim claims a fingerprint for an alert (counting it in total).
	WriteClaim
	// WriteSuppress counts an alert as a suppressed repeat of its fingerprint.
	WriteSuppress
)

// Fault is a failure of a ledger write after it landed, which the ledger must recover from
// without doing the write's work twice.
type Fault int

// The faults a store can inject (WriteFaulter).
const (
	// Retried: the write lands and is sent again, the ledger seeing the second answer, as
	// when the SDK retries a call whose reply was lost (a 500, a reset connection).
	Retried Fault = iota + 1
	// ReplyLost: the write lands but the ledger sees an error, so the claim fails and Lambda
	// redelivers the alert.
	ReplyLost
)

func (f Fault) String() string {
	return [...]string{"redelivered after the write", "retried by the SDK", "reply lost, alert redelivered"}[f]
}

// WriteFaulter is a ledger under test whose store can fail its next write of a kind after it
// landed (the DynamoDB ledger, through a client that replays or drops the reply). The memory
// and SQLite ledgers decide a claim in one critical section or one transaction: its writes
// land together or not at all, so they need no faults: for them each case is a redelivery
// after the claim.
type WriteFaulter interface {
	FaultNext(w LedgerWrite, f Fault)
}

// faultsOf is the faults the suites inject in the ledgers newLedger makes: none (0: the
// redelivery alone) for a ledger that is no WriteFaulter.
func faultsOf(t *testing.T, newLedger NewLedger) []Fault {
	if _, ok := newLedger(t, alert.LedgerOptions{Window: defaultOptions.Window, DedupeFor: defaultOptions.DedupeFor}).(WriteFaulter); ok {
		return []Fault{Retried, ReplyLost}
	}
	return []Fault{0}
}

// claimThrough claims a for l at the given time with the next write w of the claim failing
// after it landed (fault; none for 0 or a store that cannot fault). On ReplyLost the claim
// must fail, and Lambda's redelivery of the alert a minute later is claimed instead. It
// returns the claim that decided the alert.
func claimThrough(t *testing.T, l alert.Ledger, w LedgerWrite, fault Fault, a *alert.Alert, at time.Time) alert.Claim {
	t.Helper()
	faulter, injects := l.(WriteFaulter)
	if injects && fault != 0 {
		faulter.FaultNext(w, fault)
	}
	c, err := l.Claim(context.Background(), a, at, at.Add(30*time.Second))
	if injects && fault == ReplyLost {
		if err == nil {
			t.Fatalf("%s whose reply was lost: %v, want an error (so the alert is redelivered)", a.EventID, c.Action)
		}
		at = at.Add(time.Minute)
		c, err = l.Claim(context.Background(), a, at, at.Add(30*time.Second))
	}
	if err != nil {
		t.Fatalf("%s: %v", a.EventID, err)
	}
	return c
}

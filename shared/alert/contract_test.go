package alert_test

// The store contracts (internal/storecontract) on this package's stores: the memory ones, and
// the DynamoDB ones through the real SDK client against dynalite with the tables template.yaml
// defines (under CI=true a missing emulator fails). shared/localstate runs the same suites on
// the SQLite stores. This is an external test package: storecontract imports alert.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/testenv"
)

// ledgerStores are the ledgers of this package, each with how to read its counts back.
var ledgerStores = []struct {
	name   string
	new    storecontract.NewLedger
	counts storecontract.Counts
}{
	{
		name: "memory",
		new:  func(_ *testing.T, o alert.LedgerOptions) alert.Ledger { return &alert.MemoryLedger{Options: o} },
		counts: func(_ *testing.T, l alert.Ledger, a *alert.Alert) (int, int) {
			return l.(*alert.MemoryLedger).Counts(a)
		},
	},
	{
		name: "dynamodb",
		new: func(t *testing.T, o alert.LedgerOptions) alert.Ledger {
			client := testenv.DynamoDB(t)
			faulty := &writeFaults{DynamoDBAPI: client}
			return &faultyDynamoLedger{
				DynamoDBLedger: &alert.DynamoDBLedger{Client: faulty, Table: testenv.CreateTable(t, client, "AlertStateTable"), Options: o},
				faults:         faulty,
			}
		},
		counts: func(t *testing.T, l alert.Ledger, a *alert.Alert) (int, int) {
			return alert.DynamoCounts(t, l.(*faultyDynamoLedger).DynamoDBLedger, a)
		},
	},
}

// faultyDynamoLedger is the DynamoDB ledger over a client that can fail its next write of a
// kind after it landed (storecontract.WriteFaulter); without a fault it is the ledger as
// deployed.
type faultyDynamoLedger struct {
	*alert.DynamoDBLedger
	faults *writeFaults
}

// FaultNext implements storecontract.WriteFaulter.
func (l *faultyDynamoLedger) FaultNext(w storecontract.LedgerWrite, f storecontract.Fault) {
	l.faults.mu.Lock()
	defer l.faults.mu.Unlock()
	l.faults.write, l.faults.next = w, f
}

// ledgerWrites tells the ledger's writes apart by their update expressions.
var ledgerWrites = map[storecontract.LedgerWrite]string{
	storecontract.WriteFold:     "ADD folded",
	storecontract.WriteOpen:     "SET win_start = :now",
	storecontract.WriteCount:    "ADD sent :one",
	storecontract.WriteClaim:    "SET #s = :claimed, #t = :token, claim_id",
	storecontract.WriteSuppress: "ADD suppressed :one",
}

// writeFaults passes every call to the real client; the chosen write's UpdateItem after
// FaultNext is applied, then sent again (Retried: what the SDK does after a lost reply) or
// answered with a reset connection (ReplyLost).
type writeFaults struct {
	alert.DynamoDBAPI
	mu    sync.Mutex
	write storecontract.LedgerWrite
	next  storecontract.Fault
}

func (f *writeFaults) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	var fault storecontract.Fault
	f.mu.Lock()
	if f.next != 0 && strings.Contains(aws.ToString(in.UpdateExpression), ledgerWrites[f.write]) {
		fault, f.next = f.next, 0
	}
	f.mu.Unlock()
	out, err := f.DynamoDBAPI.UpdateItem(ctx, in, opts...)
	if err != nil || fault == 0 {
		return out, err
	}
	if fault == storecontract.Retried {
		return f.DynamoDBAPI.UpdateItem(ctx, in, opts...)
	}
	return nil, fmt.Errorf("operation error DynamoDB: UpdateItem: read tcp 127.0.0.1:41234->127.0.0.1:8000: connection reset by peer (injected after the write landed)")
}

func TestLedgerContract(t *testing.T) {
	for _, s := range ledgerStores {
		t.Run(s.name, func(t *testing.T) { storecontract.Ledger(t, s.new, s.counts) })
	}
}

func TestDigestLedgerContract(t *testing.T) {
	for _, s := range ledgerStores {
		t.Run(s.name, func(t *testing.T) { storecontract.DigestLedger(t, s.new) })
	}
}

func TestHistoryContract(t *testing.T) {
	stores := []struct {
		name string
		new  storecontract.NewHistory
	}{
		{"memory", func(*testing.T) alert.History { return &alert.MemoryHistory{} }},
		{"dynamodb", func(t *testing.T) alert.History {
			client := testenv.DynamoDB(t)
			return &alert.DynamoHistory{Client: client, Table: testenv.CreateTable(t, client, "AlertStateTable")}
		}},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { storecontract.History(t, s.new) })
	}
}

package localstate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/alert"
)

// TestHistoryContract: the SQLite history passes the same contract as the memory and
// DynamoDB ones.
func TestHistoryContract(t *testing.T) {
	storecontract.History(t, func(t *testing.T) alert.History {
		h, err := openState(t).History()
		if err != nil {
			t.Fatal(err)
		}
		return h
	})
}

// TestHistoryIsQueryable: what the Sender delivered is a plain table people can query.
func TestHistoryIsQueryable(t *testing.T) {
	db := openState(t)
	h, err := db.History()
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.Ledger(alert.LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	clock := storecontract.T0
	s := storecontract.QuietSender(l, &storecontract.Publisher{}, &clock)
	s.History = h
	alerts := storecontract.SignInAlerts("ev-1", "198.51.100.7", "Failure")
	for range 2 { // the redelivery adds nothing
		if err := s.Publish(context.Background(), alerts); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.SQL.Query(`SELECT kind, severity, count(*) FROM alert_history
		WHERE sent_at >= '2026-11-21' AND source_ip = '198.51.100.7' GROUP BY kind ORDER BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var kind, severity string
		var n int
		if err := rows.Scan(&kind, &severity, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s/%s/%d", kind, severity, n))
	}
	if want := "[failed-sign-in/MEDIUM/1 untrusted-source-ip/HIGH/1]"; fmt.Sprint(got) != want {
		t.Errorf("query: %v, want %s", got, want)
	}
}

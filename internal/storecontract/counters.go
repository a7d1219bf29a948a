// Package storecontract holds the contract suites of trailguard's stores: one exported test
// suite per store interface, run against every implementation (in memory, DynamoDB on
// dynalite, the SQLite state of local runs) from each implementation's own tests, so that
// the exactly-once rules hold the same everywhere a function may run.
package storecontract

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/trailguard/trailguard/shared/counters"
)

// CountersStore is the counters store the aggregate function writes (counters.Table,
// counters.Memory, localstate.Counters).
type CountersStore interface {
	Apply(ctx context.Context, file counters.FileID, t *counters.Tally) (counters.Applied, error)
}

// CountersRead returns the counters of account in hour once everything applied to s is
// visible (counters.Table: after a Flush); nil when the store has no reads (counters.Memory):
// then only what Apply answers is checked.
type CountersRead func(t *testing.T, s CountersStore, account, hour string) []counters.Row

const (
	contractAccount = "111122223333"
	contractHour    = "2026-11-20T08"
)

// contractTally is a file's tally with counts by construction: scale × (principal i calls
// GetObject i+1 times in us-east-1 and once in eu-west-1, is denied once), 2 × scale failed
// sign-ins from 203.0.113.66 (records without a region), and the threshold rules' counters of
// both. A call made in two regions is two counters: a store may keep them in one item (the
// DynamoDB table counts an item's regions inside it), but reads them back apart.
func contractTally(scale int) (*counters.Tally, map[counters.Key]int64) {
	t := counters.NewTally()
	want := map[counters.Key]int64{}
	add := func(k counters.Key, n int) {
		for range n {
			t.Add(&k)
		}
		want[k] += int64(n)
	}
	for i := range 3 {
		p := fmt.Sprintf("arn:aws:iam::%s:user/p%d", contractAccount, i)
		get := counters.Key{Hour: contractHour, Account: contractAccount, Principal: p, SourceIP: "192.0.2.1",
			EventName: "GetObject", ResourceType: "AWS::S3::Object", EventType: "AwsApiCall", Region: "us-east-1",
			EventSource: "s3.amazonaws.com"}
		add(get, (i+1)*scale)
		get.Region = "eu-west-1"
		add(get, scale)
		add(counters.Key{Hour: contractHour, Account: contractAccount, Principal: p, SourceIP: "192.0.2.9",
			EventName: "CreateUser", ResourceType: "AWS::IAM::User", ErrorCode: "AccessDenied", EventType: "AwsApiCall",
			Region: "us-east-1", EventSource: "iam.amazonaws.com"}, scale)
		for range scale {
			t.AddRule("access-denied", contractHour, p, contractAccount)
		}
	}
	add(counters.Key{Hour: contractHour, Account: contractAccount, Principal: "arn:aws:iam::" + contractAccount + ":user/alice",
		SourceIP: "203.0.113.66", EventName: "ConsoleLogin", EventType: "AwsConsoleSignIn"}, 2*scale)
	for range 2 * scale {
		t.AddRule("failed-sign-ins", contractHour, "203.0.113.66", contractAccount)
	}
	return t, want
}

func addCounts(dst, src map[counters.Key]int64) map[counters.Key]int64 {
	out := map[counters.Key]int64{}
	for _, m := range []map[counters.Key]int64{dst, src} {
		for k, n := range m {
			out[k] += n
		}
	}
	return out
}

type ruleTotal struct {
	rule, subject string
	before, after int64
}

func ruleTotals(rs []counters.RuleResult) []ruleTotal {
	out := make([]ruleTotal, 0, len(rs))
	for _, r := range rs {
		out = append(out, ruleTotal{r.Rule, r.Subject, r.Before, r.After})
	}
	slices.SortFunc(out, func(a, b ruleTotal) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.subject, b.subject))
	})
	return out
}

func file(key, etag string, part int) counters.FileID {
	return counters.FileID{Bucket: "trail", Key: "AWSLogs/" + contractAccount + "/CloudTrail/us-east-1/2026/11/20/" + key, ETag: etag, Part: part}
}

// Counters runs the counters contract: every file (and every part of a file) is applied once
// however often it is delivered, a redelivery sees the threshold totals its first delivery
// saw, and distinct files add up. newStore makes an empty store for each case.
func Counters(t *testing.T, newStore func(t *testing.T) CountersStore, read CountersRead) {
	ctx := context.Background()
	check := func(t *testing.T, s CountersStore, want map[counters.Key]int64) {
		t.Helper()
		if read == nil {
			return
		}
		got := map[counters.Key]int64{}
		for _, r := range read(t, s, contractAccount, contractHour) {
			got[r.Key] += r.Count
		}
		if len(got) != len(want) {
			t.Errorf("%d counters, want %d: %v", len(got), len(want), got)
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("counter %+v = %d, want %d", k, got[k], n)
			}
		}
	}
	apply := func(t *testing.T, s CountersStore, f counters.FileID, tally *counters.Tally) counters.Applied {
		t.Helper()
		a, err := s.Apply(ctx, f, tally)
		if err != nil {
			t.Fatalf("apply %s part %d: %v", f.Key, f.Part, err)
		}
		return a
	}

	t.Run("a redelivered file counts once", func(t *testing.T) {
		s := newStore(t)
		tally, want := contractTally(1)
		f := file("a.json.gz", `"e1"`, 0)
		first := apply(t, s, f, tally)
		if first.Written == 0 || first.Already != 0 {
			t.Errorf("first delivery %+v: want items written, none already", first)
		}
		again := apply(t, s, f, tally)
		if again.Written != 0 || again.Already != first.Written {
			t.Errorf("redelivery %+v: want nothing written, the first delivery's %d items already", again, first.Written)
		}
		// The ETag's quotes are not part of the file's identity (S3 events drop them, HEAD keeps them).
		unquoted := apply(t, s, file("a.json.gz", "e1", 0), tally)
		if unquoted.Written != 0 {
			t.Errorf("redelivery with the unquoted ETag wrote %d items", unquoted.Written)
		}
		if !slices.Equal(ruleTotals(first.Rules), ruleTotals(again.Rules)) {
			t.Errorf("rule totals differ on redelivery: %v then %v", ruleTotals(first.Rules), ruleTotals(again.Rules))
		}
		for _, r := range first.Rules {
			if r.Before != 0 || r.After != r.Count {
				t.Errorf("first file's rule %s/%s: %d → %d, want 0 → %d", r.Rule, r.Subject, r.Before, r.After, r.Count)
			}
		}
		check(t, s, want)
	})

	t.Run("a retried part counts once, every part counts", func(t *testing.T) {
		s := newStore(t)
		t1, want1 := contractTally(1)
		t2, want2 := contractTally(2)
		p1, p2 := file("big.json.gz", "e2", 1), file("big.json.gz", "e2", 2)
		apply(t, s, p1, t1)
		apply(t, s, p2, t2)
		retried := apply(t, s, p2, t2)
		if retried.Written != 0 || retried.Already == 0 {
			t.Errorf("retried part %+v: want nothing written", retried)
		}
		check(t, s, addCounts(want1, want2))
	})

	t.Run("distinct files add up, each seeing the totals before it", func(t *testing.T) {
		s := newStore(t)
		t1, want1 := contractTally(1)
		t2, want2 := contractTally(3)
		a1 := apply(t, s, file("a.json.gz", "e1", 0), t1)
		a2 := apply(t, s, file("b.json.gz", "e1", 0), t2) // same ETag, another key: another file
		again := apply(t, s, file("a.json.gz", "e1", 0), t1)
		before := map[[2]string]int64{}
		for _, r := range a1.Rules {
			before[[2]string{r.Rule, r.Subject}] = r.After
		}
		for _, r := range a2.Rules {
			if r.Before != before[[2]string{r.Rule, r.Subject}] || r.After != r.Before+r.Count {
				t.Errorf("second file's rule %s/%s: %d → %d, want %d → %d", r.Rule, r.Subject, r.Before, r.After,
					before[[2]string{r.Rule, r.Subject}], before[[2]string{r.Rule, r.Subject}]+r.Count)
			}
		}
		if !slices.Equal(ruleTotals(a1.Rules), ruleTotals(again.Rules)) {
			t.Errorf("the first file redelivered after the second sees %v, want its own %v", ruleTotals(again.Rules), ruleTotals(a1.Rules))
		}
		check(t, s, addCounts(want1, want2))
	})

	t.Run("an empty tally", func(t *testing.T) {
		s := newStore(t)
		a := apply(t, s, file("empty.json.gz", "e0", 0), counters.NewTally())
		if len(a.Rules) != 0 {
			t.Errorf("empty file: rules %v", a.Rules)
		}
		again := apply(t, s, file("empty.json.gz", "e0", 0), counters.NewTally())
		if again.Written != 0 {
			t.Errorf("empty file redelivered wrote %d items", again.Written)
		}
		check(t, s, map[counters.Key]int64{})
	})
}

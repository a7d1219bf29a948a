package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/loadtest"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/metrics"
	"github.com/trailguard/trailguard/shared/tags"
)

// storeTap counts, per change key (event and resource), the puts that stored it fresh.
type storeTap struct {
	next  changeStore
	mu    sync.Mutex
	fresh map[string]int
	puts  int
}

func (s *storeTap) Put(ctx context.Context, c Change) (Change, bool, error) {
	stored, fresh, err := s.next.Put(ctx, c)
	if err == nil {
		s.mu.Lock()
		s.puts++
		if s.fresh == nil {
			s.fresh = map[string]int{}
		}
		if _, ok := s.fresh[c.Key()]; !ok || fresh {
			s.fresh[c.Key()] += map[bool]int{true: 1}[fresh]
		}
		s.mu.Unlock()
	}
	return stored, fresh, err
}

// TestLoadInMemory replays LOADTEST_EVENTS mutating calls (3,000 in make test, a million in
// make loadtest) with 50 invocations in flight through the in-memory change log, one in 20
// delivered twice: every change (event and resource) is stored once, never twice.
func TestLoadInMemory(t *testing.T) {
	n := loadtest.Size(t, "LOADTEST_EVENTS", 3000)
	store := &MemoryStore{}
	tap := runLoad(t, "tagenrich in-memory", n, store, loadResolver(&tags.MemoryKnown{}), nil)
	if got := len(store.All()); got != len(tap.fresh) {
		t.Errorf("change log holds %d records, want one per change: %d", got, len(tap.fresh))
	}
}

// TestLoadEmulators is TestLoadInMemory with the change log and the last known tags on
// dynalite (LOADTEST_EMULATOR_EVENTS: 1,000 in make test, 100,000 in make loadtest).
func TestLoadEmulators(t *testing.T) {
	n := loadtest.Size(t, "LOADTEST_EMULATOR_EVENTS", 1000)
	ddb, reqs := loadtest.Dynamo(t)
	changes, known := loadtest.Table(t, "TagChangeTable"), loadtest.Table(t, "KnownTagsTable")
	store := &DynamoStore{Client: ddb, Table: changes, IndexKeys: []string{"project", "cost-center", "owner", "env"}, Retain: 180 * 24 * time.Hour}
	tap := runLoad(t, "tagenrich emulators", n, store,
		loadResolver(&tags.DynamoKnown{Client: ddb, Table: known, Retain: 30 * 24 * time.Hour}), map[string]*loadtest.Requests{"DynamoDB": reqs})
	if got := countItems(t, ddb, changes); got != len(tap.fresh) {
		t.Errorf("change table holds %d items, want one per change: %d", got, len(tap.fresh))
	}
}

// loadResolver is the tag resolver of a run: no live tags (the generated resources are nobody's),
// so every change goes through the cache and the last known tags.
func loadResolver[K interface {
	*tags.MemoryKnown | *tags.DynamoKnown
}](known K) *tags.Resolver {
	r := &tags.Resolver{Source: tags.Static{}, Cache: tags.NewCache(time.Hour, 10000, nil)}
	switch k := any(known).(type) {
	case *tags.MemoryKnown:
		r.Known = k
	case *tags.DynamoKnown:
		r.Known = k
	}
	return r
}

func runLoad(t *testing.T, name string, n int, store changeStore, tagsOf *tags.Resolver, reqs map[string]*loadtest.Requests) *storeTap {
	topic := loadtest.NewTopic(t)
	tap := &storeTap{next: store}
	h := &Handler{
		OnlyWrite: true,
		Tags:      tagsOf,
		Store:     tap,
		Alerts:    &loadtest.Tap{Next: topic.Sender(&alert.MemoryLedger{Options: loadtest.LedgerOptions})},
		Log:       slog.New(slog.DiscardHandler),
		Metrics:   &metrics.Counters{Function: "tagenrich"},
	}
	res := loadtest.Run(context.Background(), n, loadtest.NewSource(loadtest.Mutations, 3),
		func(ctx context.Context, raw []byte) error { return h.Handle(ctx, json.RawMessage(raw)) })
	if reqs == nil {
		reqs = map[string]*loadtest.Requests{}
	}
	loadtest.Report(t, name, res, reqs)
	var twice int
	for key, n := range tap.fresh {
		if n != 1 {
			twice++
			if twice <= 3 {
				t.Errorf("change %q stored fresh %d times", key, n)
			}
		}
	}
	if len(tap.fresh) == 0 {
		t.Errorf("%s: no change recorded: the load exercised nothing", name)
	}
	t.Logf("LOADTEST %s: %d changes stored once each (%d puts, %.3f changes per event)", name, len(tap.fresh), tap.puts, float64(len(tap.fresh))/float64(n))
	return tap
}

// countItems counts a change table's change items (sort key "change": not the tag index
// items) with a paginated Scan (Select COUNT).
func countItems(t *testing.T, ddb *dynamodb.Client, table string) int {
	t.Helper()
	p := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{TableName: aws.String(table), Select: ddbtypes.SelectCount,
		FilterExpression:          aws.String("#sk = :change"),
		ExpressionAttributeNames:  map[string]string{"#sk": changelog.AttrSK},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":change": &ddbtypes.AttributeValueMemberS{Value: "change"}}})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += int(page.Count)
	}
	return n
}

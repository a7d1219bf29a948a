package counters_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/klauspost/compress/flate"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/godview"
)

// dashDay is the day the read-cost benchmark's dashboard shows.
var dashDay = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// BenchmarkReadUnitsDashboard counts the DynamoDB read units (billed as DynamoDB bills them:
// wcuTable's Query, per response page, 4 KB per unit, half when eventually consistent) of one
// refresh of the god view dashboard (its 9 widgets, each invoking the function) over a day of
// an organization: 20 accounts, 4 regions, recordsPerAccountHour records per account-hour
// (trailgen: 40 identities, 300 sources per account), compared with the week before.
//
// The day's counters are written as the deployed functions write them (every region's file of
// an account-hour applied, then the merge), one account-hour at a time; after each, the
// read the old god view made of it (one Query of the account-hour's counters, as
// Table.AccountHour) is billed, and its counters are dropped to keep the fake small. The week
// before is the same traffic: its hours' summaries are copies of the day's (so the days cost
// the same to read), and the old read of it is the day's times seven.
//
//   - before: every widget built the view from the counters: 9 × 8 days × 24 hours × 20
//     accounts Queries;
//   - after: the widgets share one read (godview.Cache) of the hour summaries: 8 × 24 Queries,
//     the detail items for the 24 hours shown only;
//   - after-nocache: the same summaries without the shared read (each widget reads them).
//
// Run it once: go test -run '^$' -bench ReadUnitsDashboard -benchtime 1x ./shared/counters/
func BenchmarkReadUnitsDashboard(b *testing.B) {
	for _, perAccountHour := range []int{1_000, 4_000} {
		b.Run(fmt.Sprintf("records=%d", perAccountHour), func(b *testing.B) {
			for b.Loop() {
				readUnitsDashboard(b, perAccountHour)
			}
		})
	}
}

func readUnitsDashboard(b *testing.B, recordsPerAccountHour int) {
	ctx := context.Background()
	db := newWCUTable()
	now := dashDay.Add(25 * time.Hour)
	tb := &counters.Table{Client: db, Name: "counters", Retention: 90 * 24 * time.Hour, Concurrency: 1, Now: func() time.Time { return now }}
	gens := make([]*trailgen.Generator, orgAccounts)
	accounts := make([]string, orgAccounts)
	for a := range gens {
		gens[a] = trailgen.New(uint64(1000+a), dashDay, 1, 40, 300)
		accounts[a] = fmt.Sprintf("%012d", 210000000000+a*1111)
	}
	var beforeDayRCU float64
	var counterItems, activityItems, summaryBytes, summaryItems int
	var mergeRCU float64
	for h := range 24 {
		hour := dashDay.Add(time.Duration(h) * time.Hour)
		for a, acct := range accounts {
			g := gens[a]
			for r := range orgRegions {
				t := counters.NewTally()
				for range recordsPerAccountHour / orgRegions {
					s := g.Random(1)
					k := counters.Key{Hour: hour.Format(counters.HourLayout), Account: acct,
						Principal: strings.ReplaceAll(s.Identity.Principal, g.Accounts()[0], acct),
						SourceIP:  s.SourceIP, EventName: s.EventName, ResourceType: s.ResourceType, ErrorCode: s.ErrorCode,
						EventType: s.EventType, Region: orgRegionNames[r], EventSource: s.EventSource}
					t.Add(&k)
				}
				id := counters.FileID{Bucket: "org-trail", Key: fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s.json.gz", acct, orgRegionNames[r], hour.Format(counters.HourLayout)), ETag: "e"}
				if _, err := tb.Apply(ctx, id, t); err != nil {
					b.Fatal(err)
				}
			}
			rcu := db.RCU
			if _, err := tb.FlushGroup(ctx, acct, hour.Format(counters.HourLayout)); err != nil {
				b.Fatal(err)
			}
			mergeRCU += db.RCU - rcu
			q := db.QueryRCU
			rows, err := tb.AccountHour(ctx, acct, hour.Format(counters.HourLayout))
			if err != nil {
				b.Fatal(err)
			}
			beforeDayRCU += db.QueryRCU - q
			counterItems += len(rows)
			// Keep the hour summaries only.
			for k, item := range db.items {
				if strings.HasPrefix(k[0], "A#") {
					activityItems++
				}
				if !strings.HasPrefix(k[0], "H#") {
					delete(db.items, k)
					continue
				}
				if str := item["account"].(*types.AttributeValueMemberS).Value; str == acct && item["hour"].(*types.AttributeValueMemberS).Value == hour.Format(counters.HourLayout) {
					summaryBytes += itemBytes(item)
					summaryItems++
				}
			}
		}
	}
	// The week before: the same traffic, its summaries copies of the day's.
	for k, item := range maps.Clone(db.items) {
		hour, _ := time.Parse(counters.HourLayout, item["hour"].(*types.AttributeValueMemberS).Value)
		for d := 1; d <= godview.BaselineDays; d++ {
			day := hour.AddDate(0, 0, -d).Format(counters.HourLayout)
			c := maps.Clone(item)
			c["pk"] = &types.AttributeValueMemberS{Value: "H#" + day}
			c["hour"] = &types.AttributeValueMemberS{Value: day}
			if strings.HasPrefix(k[1], "t#") {
				c["s"] = &types.AttributeValueMemberB{Value: rehour(b, item["s"].(*types.AttributeValueMemberB).Value, day)}
			}
			db.items[[2]string{"H#" + day, k[1]}] = c
		}
	}
	r := godview.Range{From: dashDay, To: dashDay.Add(24 * time.Hour)}
	refresh := func(src godview.Source) (rcu float64, queries int64) {
		rcu0, q0 := db.QueryRCU, db.Calls["Query"]
		for _, p := range godview.Panels {
			opts := godview.Options{Accounts: accounts}
			if p == godview.PanelChanges {
				opts.Tag = "project=apollo"
			}
			m, err := godview.Build(ctx, src, r, opts)
			if err != nil {
				b.Fatal(err)
			}
			if m.KPIs[0].Value != float64(recordsPerAccountHour/orgRegions*orgRegions*orgAccounts*24) {
				b.Fatalf("the view counts %v events, want %d", m.KPIs[0].Value, recordsPerAccountHour*orgAccounts*24)
			}
		}
		return db.QueryRCU - rcu0, db.Calls["Query"] - q0
	}
	tables := &godview.Tables{Counters: tb, Accounts: accounts, Concurrency: 1}
	afterRCU, afterQ := refresh(&godview.Cache{Source: tables, Now: func() time.Time { return now }})
	noCacheRCU, noCacheQ := refresh(tables)
	window := godview.Window(r)
	windowDays := float64(window.To.Sub(window.From) / (24 * time.Hour))
	widgets := float64(len(godview.Panels))
	b.ReportMetric(widgets*windowDays*beforeDayRCU, "RCU/refresh-before")
	b.ReportMetric(widgets*windowDays*24*orgAccounts, "Queries/refresh-before")
	b.ReportMetric(afterRCU, "RCU/refresh-after")
	b.ReportMetric(float64(afterQ), "Queries/refresh-after")
	b.ReportMetric(noCacheRCU, "RCU/refresh-after-nocache")
	b.ReportMetric(float64(noCacheQ), "Queries/refresh-after-nocache")
	b.ReportMetric(float64(counterItems)/(24*orgAccounts), "counters/account-hour")
	b.ReportMetric(float64(activityItems)/(24*orgAccounts), "items/account-hour") // a counter item counts its regions inside
	b.ReportMetric(float64(summaryBytes)/float64(summaryItems), "B/summary-item")
	b.ReportMetric(mergeRCU/(24*orgAccounts), "mergeRCU/account-hour")
}

// itemBytes is an item's billed size.
func itemBytes(item map[string]types.AttributeValue) int { return itemSize(item) }

// rehour rewrites a totals summary's hour (flate-compressed JSON).
func rehour(b *testing.B, blob []byte, hour string) []byte {
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(blob)))
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatal(err)
	}
	m["hour"] = hour
	raw, _ = json.Marshal(m)
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestCompression)
	zw.Write(raw)
	zw.Close()
	return z.Bytes()
}

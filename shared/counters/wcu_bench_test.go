package counters_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/counters"
)

// Dense organization hour of the write-cost benchmark: 20 accounts × 4 regions, 12 log files
// per account, region and hour (CloudTrail delivers about every five minutes), a million
// records. The read-cost benchmark's organization has the same accounts and regions.
const (
	orgAccounts     = 20
	orgRegions      = 4
	orgFilesPerHour = 12
	orgRecords      = 1_000_000
)

// orgDensity is how many accounts an organization hour spreads its records over. The
// counters' writes per record depend on it: the merge writes each distinct counter of an hour
// once, and a sparse hour has more distinct counters per record.
type orgDensity struct {
	name     string
	accounts int
	records  int // in the hour, before rounding down to whole files of equal size
}

// orgDensities are the two hours docs/cost.md prices: the dense hour (about 12,500
// records per account-region-hour), on which the acceptance "at most one fifth of 964,422
// WCU per million records" is measured; and the worked example's 50 accounts × 4 regions at
// 100 million records a month (138,889 an hour, about 700 per account-region-hour).
var orgDensities = []orgDensity{
	{name: "dense-20x4", accounts: orgAccounts, records: orgRecords},
	{name: "example-50x4", accounts: 50, records: 138_889},
}

var orgHour = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// orgRegionNames are the organization's regions: a log file is one account and region, so its
// counters all have that region.
var orgRegionNames = [orgRegions]string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"}

// orgFile is one log file of the organization hour: its identity and its tally.
type orgFile struct {
	id    counters.FileID
	tally *counters.Tally
}

// orgHourFiles generates the hour's files at density d, in delivery order (file i of every
// account and region, then file i+1), all of one size: d.records rounded down to whole files.
// File i holds the events of minutes 5i to 5i+5 give or take five minutes, so the first file
// of the hour carries records of the hour before, as real ones do. Each account has its own
// catalog of 40 identities and 300 sources (trailgen.New), used in all four regions. The
// tallies are built from the generator's specs directly: what is measured here is the
// writes, not the parsing.
func orgHourFiles(d orgDensity) (files []orgFile, records int) {
	perFile := d.records / (d.accounts * orgRegions * orgFilesPerHour)
	gens := make([]*trailgen.Generator, d.accounts)
	for a := range gens {
		gens[a] = trailgen.New(uint64(1000+a), orgHour, 1, 40, 300)
	}
	for i := range orgFilesPerHour {
		for a := range d.accounts {
			acct := fmt.Sprintf("%012d", 210000000000+a*1111)
			g := gens[a]
			for r := range orgRegions {
				t := counters.NewTally()
				for range perFile {
					s := g.Random(1)
					at := orgHour.Add(time.Duration(i)*5*time.Minute + time.Duration(s.Time.Sub(orgHour)%(10*time.Minute)) - 5*time.Minute)
					k := counters.Key{
						Hour: at.UTC().Format(counters.HourLayout), Account: acct,
						Principal: strings.ReplaceAll(s.Identity.Principal, g.Accounts()[0], acct),
						SourceIP:  s.SourceIP, EventName: s.EventName, ResourceType: s.ResourceType, ErrorCode: s.ErrorCode, EventType: s.EventType,
						Region: orgRegionNames[r], EventSource: s.EventSource,
					}
					t.Add(&k)
					switch {
					case s.ErrorCode == "AccessDenied" || s.ErrorCode == "Client.UnauthorizedOperation":
						t.AddRule("access-denied", k.Hour, k.Principal, acct)
					case s.SignInResult == "Failure":
						t.AddRule("failed-sign-ins", k.Hour, k.SourceIP, acct)
					}
					records++
				}
				key := fmt.Sprintf("AWSLogs/o-abc123/%s/CloudTrail/%s/2026/11/20/%s_CloudTrail_%s_20261120T08%02d00Z_%04d.json.gz",
					acct, orgRegionNames[r], acct, "r", 5*i, a*10+r)
				files = append(files, orgFile{id: counters.FileID{Bucket: "org-trail", Key: key, ETag: fmt.Sprintf("%032x", len(files))}, tally: t})
			}
		}
	}
	return files, records
}

// BenchmarkWriteUnitsOrgHour counts the DynamoDB write units (table and indexes, as DynamoDB
// bills them: wcuTable) that storing an organization hour's counters costs, per million
// records: every file applied as the aggregator applies it, then the scheduled merge (Flush)
// once the hour has settled. It runs once for each of orgDensities, which docs/cost.md prices.
// The table's write units and the read units vary by about 0.01 % from run to run: a stage
// is compressed, and its counters are encoded in map order. The index write units, the
// writes and the counters do not vary.
// Run it once: go test -run '^$' -bench WriteUnitsOrgHour -benchtime 1x ./shared/counters/
func BenchmarkWriteUnitsOrgHour(b *testing.B) {
	for _, d := range orgDensities {
		b.Run(d.name, func(b *testing.B) { benchmarkWriteUnitsOrgHour(b, d) })
	}
}

func benchmarkWriteUnitsOrgHour(b *testing.B, d orgDensity) {
	files, records := orgHourFiles(d)
	ctx := context.Background()
	// The hour's distinct counters (what the merge writes); without the region (as counted
	// before it joined the key); and were each principal to keep to one home region.
	seen, noRegion, homeRegion := map[counters.Key]bool{}, map[counters.Key]bool{}, map[counters.Key]bool{}
	for _, f := range files {
		for _, r := range f.tally.Rows() {
			seen[r.Key] = true
			k := r.Key
			k.Region = ""
			noRegion[k] = true
			k.Region = orgRegionNames[counters.Hash(k.Principal)%orgRegions]
			homeRegion[k] = true
		}
	}
	distinct := len(seen)
	for b.Loop() {
		db := newWCUTable()
		tb := &counters.Table{Client: db, Name: "counters", Retention: 90 * 24 * time.Hour, Concurrency: 1,
			Now: func() time.Time { return orgHour.Add(90 * time.Minute) }}
		for _, f := range files {
			if _, err := tb.Apply(ctx, f.id, f.tally); err != nil {
				b.Fatal(err)
			}
		}
		// The scheduled merge, once the hour has settled: every account-hour's files at once.
		if _, err := tb.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		items := 0 // activity counter items: a counter item counts its regions inside
		for k := range db.items {
			if strings.HasPrefix(k[0], "A#") {
				items++
			}
		}
		perM := func(n float64) float64 { return n * 1e6 / float64(records) }
		b.ReportMetric(perM(float64(db.WCUTotal())), "WCU/Mrec")
		b.ReportMetric(perM(float64(db.WCU.Table)), "tableWCU/Mrec")
		b.ReportMetric(perM(float64(db.WCU.Index)), "indexWCU/Mrec")
		b.ReportMetric(perM(float64(db.Calls["UpdateItem"]+db.Calls["PutItem"]+db.Calls["DeleteItem"])), "writes/Mrec")
		b.ReportMetric(perM(db.RCU), "RCU/Mrec")
		b.ReportMetric(float64(len(files)), "files")
		b.ReportMetric(float64(records), "records")
		b.ReportMetric(float64(distinct), "counters")
		b.ReportMetric(float64(items), "items")
		b.ReportMetric(float64(len(noRegion)), "counters-without-region")
		b.ReportMetric(float64(len(homeRegion)), "counters-home-region")
	}
}

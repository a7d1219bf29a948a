package godview

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
)

func build(t *testing.T, opts Options) Model {
	t.Helper()
	if opts.SilentHours == 0 {
		opts.SilentHours = 2
	}
	m, err := Build(context.Background(), fixture(), fixtureRange, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestBuildKPIs(t *testing.T) {
	m := build(t, Options{})
	want := []KPI{
		{Name: KPIEvents, Value: 112, Prev: 24},
		{Name: KPIErrorRate, Value: 100 * 12.0 / 112, Prev: 100 * 4.0 / 24, Percent: true},
		{Name: KPIDenied, Value: 10, Prev: 4},
		{Name: KPIPrincipals, Value: 3, Prev: 2},
		{Name: KPISources, Value: 3, Prev: 2},
		{Name: KPISilent, Value: 1, Prev: 1},
	}
	if len(m.KPIs) != len(want) {
		t.Fatalf("KPIs %+v, want %+v", m.KPIs, want)
	}
	for i, w := range want {
		g := m.KPIs[i]
		if g.Name != w.Name || !near(g.Value, w.Value) || !near(g.Prev, w.Prev) || g.Percent != w.Percent {
			t.Errorf("KPI %d = %+v, want %+v", i, g, w)
		}
	}
	if !reflect.DeepEqual(m.Silent, []string{acctC}) {
		t.Errorf("silent %v, want [%s]", m.Silent, acctC)
	}
}

func TestBuildSilentAccounts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     Options
		want     []string
		wantPrev float64
	}{
		{"seen in the history", Options{SilentHours: 2}, []string{acctC}, 1},
		{"expected but never seen", Options{SilentHours: 2, Accounts: []string{"444444444444"}}, []string{acctC, "444444444444"}, 2},
		{"one hour: A's last call was at 12:00", Options{SilentHours: 1}, []string{acctA, acctC}, 2},
		{"four hours", Options{SilentHours: 4}, []string{acctC}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := build(t, tc.opts)
			if !reflect.DeepEqual(m.Silent, tc.want) {
				t.Errorf("silent %v, want %v", m.Silent, tc.want)
			}
			if got := m.KPIs[5].Prev; got != tc.wantPrev {
				t.Errorf("silent in the previous period %v, want %v", got, tc.wantPrev)
			}
		})
	}
}

func TestBuildActivity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxStack int
		want     []Band
	}{
		{"every account", 8, []Band{{acctA, []int64{10, 10, 50, 0}}, {acctB, []int64{6, 4, 0, 32}}}},
		{"one band and other", 1, []Band{{acctA, []int64{10, 10, 50, 0}}, {Other, []int64{6, 4, 0, 32}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := build(t, Options{MaxStack: tc.maxStack})
			if !reflect.DeepEqual(m.Activity.Bands, tc.want) {
				t.Errorf("bands %+v, want %+v", m.Activity.Bands, tc.want)
			}
			if want := []int64{6, 4, 0, 2}; !reflect.DeepEqual(m.Activity.Errors, want) {
				t.Errorf("errors %v, want %v", m.Activity.Errors, want)
			}
			if want := []int64{16, 14, 50, 32}; !reflect.DeepEqual(m.Activity.Totals, want) {
				t.Errorf("totals %v, want %v", m.Activity.Totals, want)
			}
		})
	}
}

func TestBuildHeatmap(t *testing.T) {
	m := build(t, Options{})
	if len(m.Heatmap.Rows) != 3 {
		t.Fatalf("heatmap rows %+v, want A, B, C", m.Heatmap.Rows)
	}
	cMean := 5.0 / 7
	cSD := math.Sqrt(25.0/7 - cMean*cMean)
	for _, tc := range []struct {
		row, hour int
		account   string
		count     int64
		mean, z   float64
	}{
		{0, 0, acctA, 10, 10, 0},                      // as usual
		{0, 2, acctA, 50, 10, 40 / math.Sqrt(10)},     // five times the usual: the sd is 0, the floor √10
		{0, 3, acctA, 0, 10, -10 / math.Sqrt(10)},     // quiet when it usually is not
		{1, 0, acctB, 6, 0, 6},                        // no history: floor 1
		{2, 0, acctC, 0, cMean, -cMean / max(cSD, 1)}, // one day in seven
		{2, 1, acctC, 0, 0, 0},                        // never active at 11:00
	} {
		r := m.Heatmap.Rows[tc.row]
		c := r.Cells[tc.hour]
		if r.Account != tc.account || c.Count != tc.count || !near(c.Mean, tc.mean) || !near(c.Z, tc.z) {
			t.Errorf("row %d (%s) hour %d = %+v, want account %s count %d mean %v z %v", tc.row, r.Account, tc.hour, c, tc.account, tc.count, tc.mean, tc.z)
		}
	}
}

func TestBuildRankings(t *testing.T) {
	m := build(t, Options{})
	wantPrincipals := []PrincipalStat{
		{Principal: alice, Count: 70, Errors: 0, Sources: 2, Series: []int64{10, 10, 50, 0}},
		{Principal: carol, Count: 32, Errors: 2, Sources: 1, Series: []int64{0, 0, 0, 32}},
		{Principal: bob, Count: 10, Errors: 10, Sources: 1, Series: []int64{6, 4, 0, 0}},
	}
	if !reflect.DeepEqual(m.Principals, wantPrincipals) {
		t.Errorf("principals\n got %+v\nwant %+v", m.Principals, wantPrincipals)
	}
	wantSources := []SourceStat{
		{Source: "192.0.2.77", Count: 50, Principals: 1, Accounts: 1, New: true}, // seen 8 days before only: new
		{Source: "203.0.113.5", Count: 42, Errors: 12, Principals: 2, Accounts: 1},
		{Source: "198.51.100.1", Count: 20, Principals: 1, Accounts: 1},
	}
	if !reflect.DeepEqual(m.Sources, wantSources) {
		t.Errorf("sources\n got %+v\nwant %+v", m.Sources, wantSources)
	}
	for name, tc := range map[string]struct{ got, want []Count }{
		"event names": {m.EventNames, []Count{{"DeleteBucket", 50}, {"DescribeInstances", 32}, {"ListBuckets", 20}, {"RunInstances", 6}, {"GetObject", 4}}},
		"services":    {m.Services, []Count{{"s3", 74}, {"ec2", 38}}}, // by event source
		"error codes": {m.ErrorCodes, []Count{{"Client.UnauthorizedOperation", 6}, {"AccessDenied", 4}, {"ThrottlingException", 2}}},
		"denied":      {m.Denied, []Count{{bob, 10}}},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s %v, want %v", name, tc.got, tc.want)
		}
	}
	if top := build(t, Options{Top: 2}); len(top.Principals) != 2 || len(top.Sources) != 2 || len(top.EventNames) != 2 {
		t.Errorf("Top 2: %d principals, %d sources, %d event names", len(top.Principals), len(top.Sources), len(top.EventNames))
	}
}

// TestBuildRegions: the regions of the range, and the account-hours in a region their account
// had not used in the week before highlighted (carol's ap-southeast-2 calls in account B),
// not bob's eu-west-1 (used the hour before the range).
func TestBuildRegions(t *testing.T) {
	m := build(t, Options{})
	want := []RegionStat{
		{Region: "us-east-1", Count: 70, Accounts: 1},
		{Region: "ap-southeast-2", Count: 32, Errors: 2, Accounts: 1, New: true},
		{Region: "eu-west-1", Count: 10, Errors: 10, Denied: 10, Accounts: 1},
	}
	if !reflect.DeepEqual(m.Regions, want) {
		t.Errorf("regions\n got %+v\nwant %+v", m.Regions, want)
	}
	var highlighted []string
	for _, r := range m.Heatmap.Rows {
		for h, c := range r.Cells {
			for _, reg := range c.NewRegions {
				highlighted = append(highlighted, r.Account+" "+m.Hours[h].Format("15")+" "+reg)
			}
		}
	}
	if want := []string{acctB + " 13 ap-southeast-2"}; !reflect.DeepEqual(highlighted, want) {
		t.Errorf("new regions %v, want %v", highlighted, want)
	}
	if c := m.Heatmap.Rows[1].Cells[0]; len(c.Regions) != 1 || c.Regions[0] != (counters.RegionCount{Region: "eu-west-1", Count: 6, Errors: 6, Denied: 6}) {
		t.Errorf("account B 10:00 regions %+v", c.Regions)
	}
}

func TestBuildNewSourceBoundary(t *testing.T) {
	first := fixtureRange.From
	for _, tc := range []struct {
		name    string
		before  time.Duration // last seen this long before its first call in the range; 0: never
		wantNew bool
	}{
		{"never seen", 0, true},
		{"seen an hour before", time.Hour, false},
		{"seen exactly 7 days before", 7 * 24 * time.Hour, false},
		{"seen 7 days and an hour before (outside the week)", 7*24*time.Hour + time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := []counters.Row{row(first, acctA, alice, "192.0.2.1", "GetObject", "", "", 1)}
			if tc.before > 0 {
				rows = append(rows, row(first.Add(-tc.before), acctA, alice, "192.0.2.1", "GetObject", "", "", 1))
			}
			m, err := Build(context.Background(), &Memory{Rows: rows}, fixtureRange, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Sources) != 1 || m.Sources[0].New != tc.wantNew {
				t.Errorf("sources %+v, want new=%v", m.Sources, tc.wantNew)
			}
		})
	}
}

func TestBuildAlertsAndChanges(t *testing.T) {
	for _, tc := range []struct {
		tag         string
		wantChanges []string
		wantTag     string
	}{
		{"", []string{"c2", "c1", "c3"}, ""},
		{"project=apollo", []string{"c1", "c3"}, "project=apollo"},
		{" project = gemini ", []string{"c2"}, "project=gemini"},
		{"project=none", nil, "project=none"},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			m := build(t, Options{Tag: tc.tag})
			var got []string
			for _, c := range m.Changes {
				got = append(got, c.EventID)
			}
			if !reflect.DeepEqual(got, tc.wantChanges) || m.Tag != tc.wantTag {
				t.Errorf("changes %v tag %q, want %v %q", got, m.Tag, tc.wantChanges, tc.wantTag)
			}
			var alerts []string
			for _, a := range m.Alerts {
				alerts = append(alerts, a.EventID)
			}
			if want := []string{"ev-root", "ev-denied"}; !reflect.DeepEqual(alerts, want) {
				t.Errorf("alerts %v, want %v (newest first, the range only)", alerts, want)
			}
		})
	}
}

// failing is a Source whose every read fails.
type failing struct{ which string }

var errDown = errors.New("table unavailable")

func (f failing) Activity(context.Context, time.Time, time.Time) ([]counters.Row, error) {
	if f.which == "activity" {
		return nil, errDown
	}
	return nil, nil
}
func (f failing) Alerts(context.Context, time.Time, time.Time, int) ([]alert.Sent, error) {
	if f.which == "alerts" {
		return nil, errDown
	}
	return nil, nil
}
func (f failing) Changes(context.Context, ChangeFilter) ([]changelog.Change, error) {
	if f.which == "changes" {
		return nil, errDown
	}
	return nil, nil
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  Source
		opts Options
	}{
		{"activity", failing{"activity"}, Options{}},
		{"alerts", failing{"alerts"}, Options{}},
		{"changes", failing{"changes"}, Options{}},
		{"bad tag", failing{}, Options{Tag: "apollo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Build(context.Background(), tc.src, fixtureRange, tc.opts); err == nil {
				t.Error("Build succeeded, want the error")
			}
		})
	}
}

func TestHourRangeAndWindow(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, tc := range []struct {
		from, to         string
		wantFrom, wantTo string
		windowFrom       string
	}{
		{"2026-03-10T10:00:00Z", "2026-03-10T14:00:00Z", "2026-03-10T10:00:00Z", "2026-03-10T14:00:00Z", "2026-03-03T10:00:00Z"},
		{"2026-03-10T10:20:00Z", "2026-03-10T13:10:00Z", "2026-03-10T10:00:00Z", "2026-03-10T14:00:00Z", "2026-03-03T10:00:00Z"},
		{"2026-03-10T10:00:00Z", "2026-03-10T10:00:00Z", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", "2026-03-03T10:00:00Z"},
		{"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-01-04T00:00:00Z"}, // previous 28 days
	} {
		r := HourRange(at(tc.from), at(tc.to))
		if !r.From.Equal(at(tc.wantFrom)) || !r.To.Equal(at(tc.wantTo)) {
			t.Errorf("HourRange(%s, %s) = %v, want %s..%s", tc.from, tc.to, r, tc.wantFrom, tc.wantTo)
		}
		if w := Window(r); !w.From.Equal(at(tc.windowFrom)) || !w.To.Equal(r.To) {
			t.Errorf("Window(%v) = %v, want from %s", r, w, tc.windowFrom)
		}
	}
}

package godview

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/cloudaudit"
	"github.com/trailguard/trailguard/shared/counters"
)

// BaselineDays is how many days before an hour its usual activity is taken from (the
// heatmap's deviation), and how far back a source address counts as already seen.
const BaselineDays = 7

// Options tune Build. Zero values take the defaults.
type Options struct {
	// Accounts are the accounts the view expects (an organization's members): one that logs
	// nothing at all still shows as silent. Accounts seen in the counters are added.
	Accounts []string
	// SilentHours: an account with no counted event in the last SilentHours hours of the
	// period is silent (default 6).
	SilentHours int
	// Top is the length of the ranked lists (default 10).
	Top int
	// MaxStack is how many accounts the activity chart stacks; the rest are one "other" band
	// (default 8).
	MaxStack int
	// Tag filters the latest changes: "key=value" (empty: every change).
	Tag string
	// Alerts and Changes are how many of each the lists hold (default 20).
	Alerts, Changes int
	// Cloud shows one cloud's accounts only: CloudAWS or one of cloudaudit.Clouds (empty:
	// every cloud). Expected Accounts never counted are taken as AWS accounts.
	Cloud string
}

// CloudAWS names AWS in the per-cloud figures and the cloud filter (the counters' and
// summaries' Cloud is empty for AWS: CloudTrail names no cloud).
const CloudAWS = "aws"

// Clouds lists the clouds the view tells apart: AWS, then those cloudpoll polls.
var Clouds = append([]string{CloudAWS}, cloudaudit.Clouds...)

// CloudOf names the cloud of a counter or summary's Cloud ("" is CloudAWS).
func CloudOf(cloud string) string { return cmp.Or(cloud, CloudAWS) }

// ParseCloud reads a cloud filter (the widget's and the page's cloud param): "" for none,
// else one of Clouds, in any case.
func ParseCloud(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || slices.Contains(Clouds, s) {
		return s, nil
	}
	return "", fmt.Errorf("cloud %q: want one of %s", s, strings.Join(Clouds, ", "))
}

// Label is how the panels name an account or principal of cloud: "huawei · 0a1b2c3d…" for
// another cloud than AWS (account IDs of two clouds can look alike: a Tencent UIN has 12
// digits like an AWS account), the bare name for AWS.
func Label(cloud, name string) string {
	if cloud == "" || cloud == CloudAWS {
		return name
	}
	return cloud + " · " + name
}

// ShortLabel is Label with an ID longer than an AWS account's 12 characters shortened to its
// first 6 ("huawei · 0a1b2c…"), where room is short (the activity legend, the heatmap's
// rows); the full label is in the tooltip.
func ShortLabel(cloud, name string) string {
	if r := []rune(name); len(r) > 12 {
		name = string(r[:6]) + "…"
	}
	return Label(cloud, name)
}

func (o *Options) defaults() {
	if o.SilentHours <= 0 {
		o.SilentHours = 6
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	if o.MaxStack <= 0 {
		o.MaxStack = 8
	}
	if o.Alerts <= 0 {
		o.Alerts = 20
	}
	if o.Changes <= 0 {
		o.Changes = 20
	}
}

// Model is every panel's data for one range.
type Model struct {
	Range Range
	Hours []time.Time // the hours of Range, in order
	KPIs  []KPI
	// Silent lists the silent accounts (see Options.SilentHours) at the end of the range.
	Silent      []string
	SilentHours int
	Activity    Activity
	Heatmap     Heatmap
	Principals  []PrincipalStat
	Sources     []SourceStat
	EventNames  []Count
	Services    []Count // by event source (counters.ServiceOf); older counters by resource type
	Regions     []RegionStat
	ErrorCodes  []Count
	Denied      []Count // access denied calls by principal
	Alerts      []alert.Sent
	Changes     []changelog.Change
	Tag         string // the changes' filter, "key=value" or ""
	// NeedTag: the change log lists changes by tag only (ErrNeedTag) and none was given.
	NeedTag bool
	// Clouds are the events per cloud over the range and the previous period, AWS first then
	// by name: every cloud with events in either.
	Clouds []CloudStat
	// AccountClouds is the cloud of each account of another cloud than AWS (Summary.Cloud):
	// the panels label those accounts with it (Label).
	AccountClouds map[string]string
	// Cloud is the cloud filter (Options.Cloud), "" for every cloud.
	Cloud string
}

// CloudStat is one cloud's events over the range and the previous period of equal length.
type CloudStat struct {
	Cloud        string // CloudAWS or one of cloudaudit.Clouds
	Events, Prev int64
	Errors       int64
	Accounts     int // accounts with events in the range
	PrevAccounts int // accounts with events in the previous period
}

// Change is Events - Prev.
func (c CloudStat) Change() int64 { return c.Events - c.Prev }

// AccountLabel is how the panels name account: Label with its cloud.
func (m *Model) AccountLabel(account string) string { return Label(m.AccountClouds[account], account) }

// ShortAccountLabel is ShortLabel with the account's cloud.
func (m *Model) ShortAccountLabel(account string) string {
	return ShortLabel(m.AccountClouds[account], account)
}

// KPI is one figure of the strip with the same figure over the previous period of equal length.
type KPI struct {
	Name    string
	Value   float64
	Prev    float64
	Percent bool // Value and Prev are percentages
}

// Change is Value - Prev.
func (k KPI) Change() float64 { return k.Value - k.Prev }

// KPI names, in the strip's order.
const (
	KPIEvents     = "events"
	KPIErrorRate  = "error %"
	KPIDenied     = "access denied"
	KPIPrincipals = "principals"
	KPISources    = "sources"
	KPISilent     = "silent accounts"
)

// Activity is the hourly activity chart: one band per account (busiest first, the rest as
// "other"), stacked, and the calls that failed as a line.
type Activity struct {
	Bands  []Band
	Errors []int64
	Totals []int64
}

// Band is one account's calls per hour.
type Band struct {
	Account string
	Counts  []int64
}

// Other is the band of the accounts past Options.MaxStack.
const Other = "other"

// Heatmap is the account × hour grid. Each cell is coloured by its deviation from the
// account's usual activity at that hour: Z = (count − mean) / max(sd, √mean, 1), the mean and
// population standard deviation taken over the same hour of the BaselineDays days before.
// The floor √mean (Poisson noise) and 1 keep an account whose history is flat from turning a
// few calls' difference into an alarm.
type Heatmap struct {
	Rows []HeatRow
}

// HeatRow is one account's cells, one per hour of the range.
type HeatRow struct {
	Account string
	Cells   []HeatCell
}

// HeatCell is one account-hour.
type HeatCell struct {
	Count int64
	Mean  float64 // usual calls at this hour (same hour, BaselineDays days before)
	SD    float64
	Z     float64
	// Regions are the hour's calls per region, busiest first; NewRegions those of them the
	// account made no call in during the BaselineDays days before the range while it made
	// calls elsewhere (highlighted: activity in a region an account does not use is the
	// classic sign of stolen keys).
	Regions    []counters.RegionCount
	NewRegions []string
}

// RegionStat is one region's calls over the range, across accounts.
type RegionStat struct {
	Region                string
	Count, Errors, Denied int64
	Accounts              int
	// New: for at least one of its accounts, no call in that region in the BaselineDays
	// days before the range.
	New bool
}

// PrincipalStat is one of the busiest principals.
type PrincipalStat struct {
	Principal string
	Cloud     string // the cloud of the accounts it called in ("" for AWS)
	Count     int64
	Errors    int64
	Sources   int     // distinct source addresses
	Series    []int64 // calls per hour of the range (the sparkline)
}

// SourceStat is one of the top source addresses.
type SourceStat struct {
	Source     string
	Count      int64
	Errors     int64
	Principals int
	Accounts   int
	// Clouds are the clouds of the accounts it called (CloudOf names), when one is not AWS;
	// nil when it called AWS accounts only.
	Clouds []string
	// New: not seen in the BaselineDays days before its first call of the range.
	New bool
}

// Count is one entry of a ranked list.
type Count struct {
	Name  string
	Count int64
}

// IsAccessDenied says whether an error code is a refusal for lack of permission
// (counters.IsAccessDenied: the summaries count denied calls with it).
func IsAccessDenied(code string) bool { return counters.IsAccessDenied(code) }

// SummarySource is a Source that also keeps the counters as hour summaries
// (counters.Summary, written by the counters' merge): Build reads those, one small item per
// account and hour, instead of every counter. detail asks for the ranked lists (the hours
// shown); without it only the totals (the hours compared against).
type SummarySource interface {
	Source
	Summaries(ctx context.Context, from, to time.Time, detail bool) ([]counters.Summary, error)
}

// Window is the range of counters Build reads for r: the previous period (the KPIs) and the
// BaselineDays days before r (the heatmap, new sources and regions), up to r's end.
func Window(r Range) Range {
	from := r.From.AddDate(0, 0, -BaselineDays)
	if p := r.Prev().From; p.Before(from) {
		from = p
	}
	return Range{from, r.To}
}

// Build computes every panel of r from src. It reads the counters once (Window(r)): as hour
// summaries from a SummarySource (the totals for the hours before r, the detail for r's), else
// as counter rows, summarized here the same way; then the alerts and the changes once each.
func Build(ctx context.Context, src Source, r Range, opts Options) (Model, error) {
	opts.defaults()
	var err error
	if opts.Cloud, err = ParseCloud(opts.Cloud); err != nil {
		return Model{}, fmt.Errorf("god view: %w", err)
	}
	r = HourRange(r.From, r.To)
	w := Window(r)
	sums, err := readSummaries(ctx, src, w, r)
	if err != nil {
		return Model{}, fmt.Errorf("god view: read activity %s..%s: %w", w.From.Format(counters.HourLayout), w.To.Format(counters.HourLayout), err)
	}
	m := compute(sums, r, opts)
	if m.Alerts, err = src.Alerts(ctx, r.From, r.To, opts.Alerts); err != nil {
		return Model{}, fmt.Errorf("god view: read alerts: %w", err)
	}
	f := ChangeFilter{From: r.From, To: r.To, Limit: opts.Changes}
	if opts.Tag != "" {
		k, v, ok := changelog.TagPair(opts.Tag)
		if !ok {
			return Model{}, fmt.Errorf("god view: tag %q: want key=value, e.g. project=apollo", opts.Tag)
		}
		f.TagKey, f.TagValue = k, v
		m.Tag = k + "=" + v
	}
	m.Changes, err = src.Changes(ctx, f)
	if errors.Is(err, ErrNeedTag) {
		m.NeedTag, err = true, nil
	}
	if err != nil {
		return Model{}, fmt.Errorf("god view: read changes: %w", err)
	}
	return m, nil
}

// readSummaries reads the account-hour summaries of window w, with detail for r's hours.
func readSummaries(ctx context.Context, src Source, w, r Range) ([]counters.Summary, error) {
	ss, ok := src.(SummarySource)
	if !ok {
		rows, err := src.Activity(ctx, w.From, w.To)
		if err != nil {
			return nil, err
		}
		// The hours before r without the ranked lists (rows are not changed: a source may
		// share them).
		first := r.From.Format(counters.HourLayout)
		n := 0
		for i := range rows {
			if rows[i].Hour < first {
				n++
			}
		}
		before, shown := make([]counters.Row, 0, n), make([]counters.Row, 0, len(rows)-n)
		for i := range rows {
			if rows[i].Hour < first {
				before = append(before, rows[i])
			} else {
				shown = append(shown, rows[i])
			}
		}
		return append(counters.Summarize(before, false), counters.Summarize(shown, true)...), nil
	}
	before, err := ss.Summaries(ctx, w.From, r.From, false)
	if err != nil {
		return nil, err
	}
	shown, err := ss.Summaries(ctx, r.From, r.To, true)
	if err != nil {
		return nil, err
	}
	return append(before, shown...), nil
}

// hourIndex maps an hour string to its index relative to base (negative before it).
type hourIndex struct{ base time.Time }

func (h hourIndex) of(hour string) (int, bool) {
	t, err := time.Parse(counters.HourLayout, hour)
	if err != nil {
		return 0, false
	}
	return int(t.Sub(h.base) / time.Hour), true
}

// byCloud keeps the summaries and expected accounts of cloud (a CloudOf name; "" keeps
// all) and says the cloud of every account of another cloud than AWS.
func byCloud(sums []counters.Summary, expected []string, cloud string) ([]counters.Summary, []string, map[string]string) {
	clouds := map[string]string{}
	for i := range sums {
		if c := sums[i].Cloud; c != "" && c > clouds[sums[i].Account] {
			clouds[sums[i].Account] = c
		}
	}
	if cloud == "" {
		return sums, expected, clouds
	}
	var kept []counters.Summary
	for i := range sums {
		if CloudOf(sums[i].Cloud) == cloud {
			kept = append(kept, sums[i])
		}
	}
	var exp []string
	for _, a := range expected {
		if CloudOf(clouds[a]) == cloud {
			exp = append(exp, a)
		}
	}
	return kept, exp, clouds
}

// compute is Build's arithmetic over the account-hour summaries, pure.
func compute(sums []counters.Summary, r Range, opts Options) Model {
	n := r.Hours()
	m := Model{Range: r, SilentHours: opts.SilentHours, Cloud: opts.Cloud}
	sums, opts.Accounts, m.AccountClouds = byCloud(sums, opts.Accounts, opts.Cloud)
	for i := range n {
		m.Hours = append(m.Hours, r.From.Add(time.Duration(i)*time.Hour))
	}
	idx := hourIndex{r.From}
	prev := r.Prev()
	prevStart := -int(r.From.Sub(prev.From) / time.Hour)
	baseStart := -BaselineDays * 24
	earliest := min(prevStart, baseStart)

	// perAccount[account][h - earliest]: calls per hour over the whole window.
	perAccount := map[string][]int64{}
	for _, a := range opts.Accounts {
		perAccount[a] = make([]int64, n-earliest)
	}
	var cur, old periodStats
	errs := make([]int64, n)
	cellRegions := map[string][][]counters.RegionCount{} // account → hour of the range → regions
	type sourcesAt struct {
		h   int
		set counters.HashSet
	}
	var seenBefore []sourcesAt            // the source sets of the hours before the range
	regionBefore := map[[2]string][]int{} // account, region → hours before the range with calls
	regionFirst := map[[2]string]int{}    // account, region → first hour in the range
	regions := map[string]*RegionStat{}   // over the range
	regionAccounts := map[string]map[string]bool{}
	principals := map[string]*PrincipalStat{}
	principalSources := map[string][]counters.HashSet{}
	sources := map[string]*SourceStat{}
	sourceFirst := map[string]int{}
	sourcePrincipals := map[string][]counters.HashSet{}
	sourceAccounts := map[string]map[string]bool{}
	sourceClouds := map[string]bool{} // sources that called an account of another cloud than AWS
	events, services, codes, denied := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	clouds := map[string]*CloudStat{}
	cloudAccounts := map[string][2]map[string]bool{} // cloud → accounts with events in the range, in the previous period
	cloudStat := func(s *counters.Summary) *CloudStat {
		c := CloudOf(s.Cloud)
		st := clouds[c]
		if st == nil {
			st = &CloudStat{Cloud: c}
			clouds[c] = st
			cloudAccounts[c] = [2]map[string]bool{{}, {}}
		}
		return st
	}

	for i := range sums {
		s := &sums[i]
		h, ok := idx.of(s.Hour)
		if !ok || h < earliest || h >= n {
			continue
		}
		series := perAccount[s.Account]
		if series == nil {
			series = make([]int64, n-earliest)
			perAccount[s.Account] = series
		}
		series[h-earliest] += s.Count
		if h < 0 {
			seenBefore = append(seenBefore, sourcesAt{h, s.Sources})
			for _, rc := range s.Regions {
				k := [2]string{s.Account, rc.Region}
				regionBefore[k] = append(regionBefore[k], h)
			}
			if h >= prevStart {
				old.add(s)
				if s.Count > 0 {
					cloudStat(s).Prev += s.Count
					cloudAccounts[CloudOf(s.Cloud)][1][s.Account] = true
				}
			}
			continue
		}
		cur.add(s)
		if s.Count > 0 {
			st := cloudStat(s)
			st.Events += s.Count
			st.Errors += s.Errors
			cloudAccounts[st.Cloud][0][s.Account] = true
		}
		errs[h] += s.Errors
		if cellRegions[s.Account] == nil {
			cellRegions[s.Account] = make([][]counters.RegionCount, n)
		}
		cellRegions[s.Account][h] = append(cellRegions[s.Account][h], s.Regions...)
		for _, rc := range s.Regions {
			k := [2]string{s.Account, rc.Region}
			if f, ok := regionFirst[k]; !ok || h < f {
				regionFirst[k] = h
			}
			st := regions[rc.Region]
			if st == nil {
				st = &RegionStat{Region: rc.Region}
				regions[rc.Region] = st
				regionAccounts[rc.Region] = map[string]bool{}
			}
			st.Count += rc.Count
			st.Errors += rc.Errors
			st.Denied += rc.Denied
			regionAccounts[rc.Region][s.Account] = true
		}
		d := s.Detail
		if d == nil {
			continue
		}
		for _, c := range d.Events {
			events[c.Name] += c.Count
		}
		for _, c := range d.Services {
			services[c.Name] += c.Count
		}
		for _, c := range d.ErrorCodes {
			codes[c.Name] += c.Count
		}
		for _, c := range d.DeniedBy {
			denied[Label(s.Cloud, c.Name)] += c.Count
		}
		for _, ps := range d.Principals {
			// A principal is one cloud's: two clouds' principals of one name are two.
			k := s.Cloud + "\x00" + ps.Principal
			p := principals[k]
			if p == nil {
				p = &PrincipalStat{Principal: ps.Principal, Cloud: s.Cloud, Series: make([]int64, n)}
				principals[k] = p
			}
			p.Count += ps.Count
			p.Errors += ps.Errors
			p.Series[h] += ps.Count
			principalSources[k] = append(principalSources[k], ps.Sources)
		}
		for _, ss := range d.Sources {
			src := sources[ss.Source]
			if src == nil {
				src = &SourceStat{Source: ss.Source}
				sources[ss.Source] = src
				sourceFirst[ss.Source] = h
				sourceAccounts[ss.Source] = map[string]bool{}
			}
			src.Count += ss.Count
			src.Errors += ss.Errors
			sourceFirst[ss.Source] = min(sourceFirst[ss.Source], h)
			sourcePrincipals[ss.Source] = append(sourcePrincipals[ss.Source], ss.Principals)
			sourceAccounts[ss.Source][s.Account] = true
			if s.Cloud != "" {
				sourceClouds[ss.Source] = true
			}
		}
	}

	accounts := make([]string, 0, len(perAccount))
	totals := map[string]int64{}
	for a, s := range perAccount {
		accounts = append(accounts, a)
		for h := range n {
			totals[a] += s[h-earliest]
		}
	}
	slices.SortFunc(accounts, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })

	// Silent accounts: none of their calls in the last SilentHours hours of a period.
	silentAt := func(end int) []string {
		var out []string
		for _, a := range accounts {
			s := perAccount[a]
			var sum int64
			for h := max(end-opts.SilentHours, earliest); h < end; h++ {
				sum += s[h-earliest]
			}
			if sum == 0 {
				out = append(out, a)
			}
		}
		slices.Sort(out)
		return out
	}
	m.Silent = silentAt(n)
	prevSilent := silentAt(0)

	m.KPIs = []KPI{
		{Name: KPIEvents, Value: float64(cur.events), Prev: float64(old.events)},
		{Name: KPIErrorRate, Value: pct(cur.errors, cur.events), Prev: pct(old.errors, old.events), Percent: true},
		{Name: KPIDenied, Value: float64(cur.denied), Prev: float64(old.denied)},
		{Name: KPIPrincipals, Value: float64(counters.Distinct(slices.Values(cur.principals))), Prev: float64(counters.Distinct(slices.Values(old.principals)))},
		{Name: KPISources, Value: float64(counters.Distinct(slices.Values(cur.sources))), Prev: float64(counters.Distinct(slices.Values(old.sources)))},
		{Name: KPISilent, Value: float64(len(m.Silent)), Prev: float64(len(prevSilent))},
	}

	// Activity: the busiest MaxStack accounts with calls in the range, the rest as Other.
	var other []int64
	for _, a := range accounts {
		if totals[a] == 0 {
			continue
		}
		counts := slices.Clone(perAccount[a][-earliest:])
		if len(m.Activity.Bands) < opts.MaxStack {
			m.Activity.Bands = append(m.Activity.Bands, Band{a, counts})
			continue
		}
		if other == nil {
			other = make([]int64, n)
		}
		for h := range counts {
			other[h] += counts[h]
		}
	}
	if other != nil {
		m.Activity.Bands = append(m.Activity.Bands, Band{Other, other})
	}
	m.Activity.Errors = errs
	m.Activity.Totals = make([]int64, n)
	for _, b := range m.Activity.Bands {
		for h, c := range b.Counts {
			m.Activity.Totals[h] += c
		}
	}

	// A region is new for an account when the account made calls in the BaselineDays days
	// before its first call of the range in that region, but none in that region (an account
	// without history, new or newly logged, has nothing to compare with).
	newRegion := func(account, region string) bool {
		first := regionFirst[[2]string{account, region}]
		for _, h := range regionBefore[[2]string{account, region}] {
			if h >= first-24*BaselineDays {
				return false
			}
		}
		s := perAccount[account]
		for h := max(first-24*BaselineDays, earliest); h < 0; h++ {
			if s[h-earliest] > 0 {
				return true
			}
		}
		return false
	}

	// Heatmap: every account, busiest first.
	for _, a := range accounts {
		s := perAccount[a]
		row := HeatRow{Account: a, Cells: make([]HeatCell, n)}
		for h := range n {
			var sum, sq float64
			for d := 1; d <= BaselineDays; d++ {
				v := float64(s[h-24*d-earliest])
				sum += v
				sq += v * v
			}
			mean := sum / BaselineDays
			sd := math.Sqrt(max(sq/BaselineDays-mean*mean, 0))
			x := s[h-earliest]
			c := HeatCell{Count: x, Mean: mean, SD: sd, Z: (float64(x) - mean) / max(sd, math.Sqrt(mean), 1)}
			if cr := cellRegions[a]; cr != nil {
				c.Regions = mergeRegions(cr[h])
				for _, rc := range c.Regions {
					if rc.Region != "" && newRegion(a, rc.Region) {
						c.NewRegions = append(c.NewRegions, rc.Region)
					}
				}
			}
			row.Cells[h] = c
		}
		m.Heatmap.Rows = append(m.Heatmap.Rows, row)
	}

	for name, st := range regions {
		st.Accounts = len(regionAccounts[name])
		for a := range regionAccounts[name] {
			st.New = st.New || (name != "" && newRegion(a, name))
		}
		m.Regions = append(m.Regions, *st)
	}
	slices.SortFunc(m.Regions, func(a, b RegionStat) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Region, b.Region))
	})

	for k, p := range principals {
		p.Sources = counters.Distinct(slices.Values(principalSources[k]))
		m.Principals = append(m.Principals, *p)
	}
	slices.SortFunc(m.Principals, func(a, b PrincipalStat) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Principal, b.Principal), cmp.Compare(a.Cloud, b.Cloud))
	})
	m.Principals = m.Principals[:min(opts.Top, len(m.Principals))]

	for ip, s := range sources {
		s.Principals, s.Accounts = counters.Distinct(slices.Values(sourcePrincipals[ip])), len(sourceAccounts[ip])
		if sourceClouds[ip] {
			seen := map[string]bool{}
			for a := range sourceAccounts[ip] {
				seen[CloudOf(m.AccountClouds[a])] = true
			}
			for _, c := range Clouds {
				if seen[c] {
					s.Clouds = append(s.Clouds, c)
				}
			}
		}
		m.Sources = append(m.Sources, *s)
	}
	slices.SortFunc(m.Sources, func(a, b SourceStat) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Source, b.Source))
	})
	m.Sources = m.Sources[:min(opts.Top, len(m.Sources))]
	// New: not seen in the BaselineDays days before its first call of the range (looked up
	// for the listed sources only).
	for i := range m.Sources {
		s := &m.Sources[i]
		h, first := counters.Hash(s.Source), sourceFirst[s.Source]
		s.New = true
		for _, b := range seenBefore {
			if b.h >= first-24*BaselineDays && b.set.Has(h) {
				s.New = false
				break
			}
		}
	}

	for _, c := range Clouds { // AWS first, then by name
		if st := clouds[c]; st != nil {
			st.Accounts, st.PrevAccounts = len(cloudAccounts[c][0]), len(cloudAccounts[c][1])
			m.Clouds = append(m.Clouds, *st)
			delete(clouds, c)
		}
	}
	rest := make([]string, 0, len(clouds)) // a cloud this build does not know yet
	for c := range clouds {
		rest = append(rest, c)
	}
	slices.Sort(rest)
	for _, c := range rest {
		st := clouds[c]
		st.Accounts, st.PrevAccounts = len(cloudAccounts[c][0]), len(cloudAccounts[c][1])
		m.Clouds = append(m.Clouds, *st)
	}

	m.EventNames = ranked(events, opts.Top)
	m.Services = ranked(services, opts.Top)
	m.ErrorCodes = ranked(codes, opts.Top)
	m.Denied = ranked(denied, opts.Top)
	return m
}

// mergeRegions adds up the regions of an account-hour (one summary per account-hour; several
// when clouds share an account name), busiest first.
func mergeRegions(rs []counters.RegionCount) []counters.RegionCount {
	if len(rs) < 2 {
		return rs
	}
	by := map[string]*counters.RegionCount{}
	var out []counters.RegionCount
	for _, r := range rs {
		if c := by[r.Region]; c != nil {
			c.Count += r.Count
			c.Errors += r.Errors
			c.Denied += r.Denied
			continue
		}
		c := r
		by[r.Region] = &c
	}
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b counters.RegionCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Region, b.Region))
	})
	return out
}

// periodStats are a period's KPI sums.
type periodStats struct {
	events, errors, denied int64
	principals, sources    []counters.HashSet
}

func (p *periodStats) add(s *counters.Summary) {
	p.events += s.Count
	p.errors += s.Errors
	p.denied += s.Denied
	p.principals = append(p.principals, s.Principals)
	p.sources = append(p.sources, s.Sources)
}

func pct(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// ranked is the top n of counts, largest first, ties by name.
func ranked(counts map[string]int64, n int) []Count {
	out := make([]Count, 0, len(counts))
	for _, c := range counters.TopN(counts, n) {
		out = append(out, Count{c.Name, c.Count})
	}
	return out
}

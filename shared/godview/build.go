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
	Services    []Count
	ErrorCodes  []Count
	Denied      []Count // access denied calls by principal
	Alerts      []alert.Sent
	Changes     []changelog.Change
	Tag         string // the changes' filter, "key=value" or ""
	// NeedTag: the change log lists changes by tag only (ErrNeedTag) and none was given.
	NeedTag bool
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
}

// PrincipalStat is one of the busiest principals.
type PrincipalStat struct {
	Principal string
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
	// New: not seen in the BaselineDays days before its first call of the range.
	New bool
}

// Count is one entry of a ranked list.
type Count struct {
	Name  string
	Count int64
}

// IsAccessDenied says whether an error code is a refusal for lack of permission, as CIS AWS
// Foundations 4.1 counts them (and the unauthorized-api-call rule): "AccessDenied*" or
// "*UnauthorizedOperation".
func IsAccessDenied(code string) bool {
	return strings.HasPrefix(code, "AccessDenied") || strings.HasSuffix(code, "UnauthorizedOperation")
}

// Service is the AWS service of a resource type ("AWS::S3::Bucket" is "S3"): the counters
// keep the resource type, not the event source. Calls without a resource are "(none)".
func Service(resourceType string) string {
	if resourceType == "" {
		return "(none)"
	}
	parts := strings.Split(resourceType, "::")
	if len(parts) >= 2 && parts[1] != "" {
		return parts[1]
	}
	return resourceType
}

// Window is the range of counters Build reads for r: the previous period (the KPIs) and the
// BaselineDays days before r (the heatmap, new sources), up to r's end.
func Window(r Range) Range {
	from := r.From.AddDate(0, 0, -BaselineDays)
	if p := r.Prev().From; p.Before(from) {
		from = p
	}
	return Range{from, r.To}
}

// Build computes every panel of r from src. It reads the counters once (Window(r)), the
// alerts and the changes once each.
func Build(ctx context.Context, src Source, r Range, opts Options) (Model, error) {
	opts.defaults()
	r = HourRange(r.From, r.To)
	w := Window(r)
	rows, err := src.Activity(ctx, w.From, w.To)
	if err != nil {
		return Model{}, fmt.Errorf("god view: read activity %s..%s: %w", w.From.Format(counters.HourLayout), w.To.Format(counters.HourLayout), err)
	}
	m := compute(rows, r, opts)
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

// hourIndex maps an hour string to its index relative to base (negative before it).
type hourIndex struct{ base time.Time }

func (h hourIndex) of(hour string) (int, bool) {
	t, err := time.Parse(counters.HourLayout, hour)
	if err != nil {
		return 0, false
	}
	return int(t.Sub(h.base) / time.Hour), true
}

// compute is Build's arithmetic over the counters, pure.
func compute(rows []counters.Row, r Range, opts Options) Model {
	n := r.Hours()
	m := Model{Range: r, SilentHours: opts.SilentHours}
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
	cur, old := newPeriodStats(), newPeriodStats()
	errs := make([]int64, n)
	principals := map[string]*PrincipalStat{}
	principalSources := map[string]map[string]bool{}
	sources := map[string]*SourceStat{}
	sourceFirst := map[string]int{}
	sourcePrincipals := map[string]map[string]bool{}
	sourceAccounts := map[string]map[string]bool{}
	sourceLastBefore := map[string]int{} // latest hour index < 0 a source was seen
	events, services, codes, denied := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}

	for _, row := range rows {
		h, ok := idx.of(row.Hour)
		if !ok || h < earliest || h >= n {
			continue
		}
		series := perAccount[row.Account]
		if series == nil {
			series = make([]int64, n-earliest)
			perAccount[row.Account] = series
		}
		series[h-earliest] += row.Count
		failed := row.ErrorCode != ""
		isDenied := IsAccessDenied(row.ErrorCode)
		if h < 0 {
			if row.SourceIP != "" {
				if last, ok := sourceLastBefore[row.SourceIP]; !ok || h > last {
					sourceLastBefore[row.SourceIP] = h
				}
			}
			if h >= prevStart {
				old.add(row, failed, isDenied)
			}
			continue
		}
		cur.add(row, failed, isDenied)
		if failed {
			errs[h] += row.Count
			codes[row.ErrorCode] += row.Count
		}
		if isDenied {
			denied[row.Principal] += row.Count
		}
		events[row.EventName] += row.Count
		services[Service(row.ResourceType)] += row.Count

		p := principals[row.Principal]
		if p == nil {
			p = &PrincipalStat{Principal: row.Principal, Series: make([]int64, n)}
			principals[row.Principal] = p
			principalSources[row.Principal] = map[string]bool{}
		}
		p.Count += row.Count
		p.Series[h] += row.Count
		if failed {
			p.Errors += row.Count
		}
		if row.SourceIP != "" {
			principalSources[row.Principal][row.SourceIP] = true
			s := sources[row.SourceIP]
			if s == nil {
				s = &SourceStat{Source: row.SourceIP}
				sources[row.SourceIP] = s
				sourceFirst[row.SourceIP] = h
				sourcePrincipals[row.SourceIP] = map[string]bool{}
				sourceAccounts[row.SourceIP] = map[string]bool{}
			}
			s.Count += row.Count
			if failed {
				s.Errors += row.Count
			}
			sourceFirst[row.SourceIP] = min(sourceFirst[row.SourceIP], h)
			sourcePrincipals[row.SourceIP][row.Principal] = true
			sourceAccounts[row.SourceIP][row.Account] = true
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
		{Name: KPIPrincipals, Value: float64(len(cur.principals)), Prev: float64(len(old.principals))},
		{Name: KPISources, Value: float64(len(cur.sources)), Prev: float64(len(old.sources))},
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
			row.Cells[h] = HeatCell{Count: x, Mean: mean, SD: sd, Z: (float64(x) - mean) / max(sd, math.Sqrt(mean), 1)}
		}
		m.Heatmap.Rows = append(m.Heatmap.Rows, row)
	}

	for name, p := range principals {
		p.Sources = len(principalSources[name])
		m.Principals = append(m.Principals, *p)
	}
	slices.SortFunc(m.Principals, func(a, b PrincipalStat) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Principal, b.Principal))
	})
	m.Principals = m.Principals[:min(opts.Top, len(m.Principals))]

	for ip, s := range sources {
		s.Principals, s.Accounts = len(sourcePrincipals[ip]), len(sourceAccounts[ip])
		last, seen := sourceLastBefore[ip]
		s.New = !seen || last < sourceFirst[ip]-24*BaselineDays
		m.Sources = append(m.Sources, *s)
	}
	slices.SortFunc(m.Sources, func(a, b SourceStat) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Source, b.Source))
	})
	m.Sources = m.Sources[:min(opts.Top, len(m.Sources))]

	m.EventNames = ranked(events, opts.Top)
	m.Services = ranked(services, opts.Top)
	m.ErrorCodes = ranked(codes, opts.Top)
	m.Denied = ranked(denied, opts.Top)
	return m
}

// periodStats are a period's KPI sums.
type periodStats struct {
	events, errors, denied int64
	principals, sources    map[string]bool
}

func newPeriodStats() *periodStats {
	return &periodStats{principals: map[string]bool{}, sources: map[string]bool{}}
}

func (p *periodStats) add(row counters.Row, failed, denied bool) {
	p.events += row.Count
	if failed {
		p.errors += row.Count
	}
	if denied {
		p.denied += row.Count
	}
	p.principals[row.Principal] = true
	if row.SourceIP != "" {
		p.sources[row.SourceIP] = true
	}
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
	for k, v := range counts {
		out = append(out, Count{k, v})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name)) })
	return out[:min(n, len(out))]
}

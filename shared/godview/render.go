package godview

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Panel names one panel of the god view (the custom widget's panel param).
type Panel string

// The panels, in the dashboard's order.
const (
	PanelKPIs       Panel = "kpis"
	PanelActivity   Panel = "activity"
	PanelHeatmap    Panel = "heatmap"
	PanelPrincipals Panel = "principals"
	PanelSources    Panel = "sources"
	PanelEvents     Panel = "events"
	PanelErrors     Panel = "errors"
	PanelAlerts     Panel = "alerts"
	PanelChanges    Panel = "changes"
)

// Panels lists every panel, in the dashboard's order.
var Panels = []Panel{PanelKPIs, PanelActivity, PanelHeatmap, PanelPrincipals, PanelSources, PanelEvents, PanelErrors, PanelAlerts, PanelChanges}

// Titles are the panels' headings.
var Titles = map[Panel]string{
	PanelKPIs: "Overview", PanelActivity: "Activity per hour, by account (line: errors)",
	PanelHeatmap:    "Account × hour: deviation from the usual (same hour, 7 days before)",
	PanelPrincipals: "Busiest principals", PanelSources: "Top source addresses",
	PanelEvents: "Top event names and services", PanelErrors: "Error codes and access denied by principal",
	PanelAlerts: "Recent alerts", PanelChanges: "Latest changes",
}

// View is how a panel is drawn: the widget's size in pixels, its theme and time zone.
type View struct {
	Width, Height int
	Dark          bool
	Loc           *time.Location // nil: UTC
}

func (v View) norm() View {
	if v.Width <= 0 {
		v.Width = 600
	}
	if v.Height <= 0 {
		v.Height = 300
	}
	v.Width, v.Height = max(v.Width, 120), max(v.Height, 80)
	if v.Loc == nil {
		v.Loc = time.UTC
	}
	return v
}

// theme is a View's colours.
type theme struct{ bg, fg, muted, grid, err, newBadge string }

func (v View) theme() theme {
	if v.Dark {
		return theme{"#2a2e33", "#e1e4e8", "#9aa0a6", "#444a52", "#ff6b6b", "#f0b429"}
	}
	return theme{"#ffffff", "#16191f", "#5f6b7a", "#e4e7eb", "#d13212", "#b7791f"}
}

// palette colours the accounts' bands; the last is Other's.
var palette = []string{"#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"}

func bandColour(i int, account string) string {
	if account == Other {
		return palette[len(palette)-1]
	}
	return palette[i%(len(palette)-1)]
}

// esc escapes text for HTML and SVG (the output is also well-formed XML).
func esc(s string) string { return html.EscapeString(s) }

// Render writes panel p of m as an HTML fragment sized for v: inline styles, server-side SVG,
// no script, iframe, <use>, event attribute or external reference.
func Render(w io.Writer, m *Model, p Panel, v View) error {
	v = v.norm()
	t := v.theme()
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="tg-panel" data-panel="%s" style="box-sizing:border-box;width:%dpx;height:%dpx;overflow:hidden;background:%s;color:%s;font:12px/1.35 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;padding:4px 6px">`,
		p, v.Width, v.Height, t.bg, t.fg)
	inner := View{Width: v.Width - 12, Height: v.Height - 8, Dark: v.Dark, Loc: v.Loc}
	switch p {
	case PanelKPIs:
		renderKPIs(&b, m, inner, t)
	case PanelActivity:
		renderActivity(&b, m, inner, t)
	case PanelHeatmap:
		renderHeatmap(&b, m, inner, t)
	case PanelPrincipals:
		renderPrincipals(&b, m, inner, t)
	case PanelSources:
		renderSources(&b, m, inner, t)
	case PanelEvents:
		renderBars(&b, inner, t, "Event names", m.EventNames, "Services", m.Services)
	case PanelErrors:
		renderBars(&b, inner, t, "Error codes", m.ErrorCodes, "Access denied by principal", m.Denied)
	case PanelAlerts:
		renderAlerts(&b, m, inner, t)
	case PanelChanges:
		renderChanges(&b, m, inner, t)
	default:
		return fmt.Errorf("unknown panel %q (one of %v)", p, Panels)
	}
	b.WriteString(`</div>`)
	_, err := io.WriteString(w, b.String())
	return err
}

// Page writes every panel as one self-contained HTML page (inline CSS, no external request).
func Page(w io.Writer, m *Model, v View) error {
	v = v.norm()
	t := v.theme()
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>trailguard god view %s</title>`, esc(rangeLabel(m.Range, v.Loc)))
	fmt.Fprintf(&b, `<style>body{margin:0;padding:8px;background:%s;color:%s;font:13px -apple-system,'Segoe UI',Helvetica,Arial,sans-serif}h1{font-size:16px;margin:4px 0 8px}h2{font-size:13px;margin:0 0 4px}section{display:inline-block;vertical-align:top;margin:0 8px 8px 0;border:1px solid %s}</style></head><body>`, t.bg, t.fg, t.grid)
	fmt.Fprintf(&b, `<h1>trailguard god view: %s</h1>`, esc(rangeLabel(m.Range, v.Loc)))
	for _, p := range Panels {
		fmt.Fprintf(&b, `<section id="%s"><h2>%s</h2>`, p, esc(Titles[p]))
		if err := Render(&b, m, p, v); err != nil {
			return err
		}
		b.WriteString(`</section>`)
	}
	b.WriteString(`</body></html>`)
	_, err := io.WriteString(w, b.String())
	return err
}

func rangeLabel(r Range, loc *time.Location) string {
	return r.From.In(loc).Format("2006-01-02 15:04") + " – " + r.To.In(loc).Format("2006-01-02 15:04 MST")
}

// human writes a count briefly: 950, 12.3k, 4.5M.
func human(n float64) string {
	a := math.Abs(n)
	switch {
	case a >= 1e9:
		return strconv.FormatFloat(n/1e9, 'f', 1, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(n/1e6, 'f', 1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(n/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

func renderKPIs(b *strings.Builder, m *Model, v View, t theme) {
	n := max(len(m.KPIs), 1)
	cw := v.Width/n - 6
	b.WriteString(`<div style="display:flex;gap:6px">`)
	for _, k := range m.KPIs {
		val, prev := human(k.Value), human(k.Prev)
		if k.Percent {
			val, prev = strconv.FormatFloat(k.Value, 'f', 1, 64)+"%", strconv.FormatFloat(k.Prev, 'f', 1, 64)+"%"
		}
		d := k.Change()
		delta := human(math.Abs(d))
		if k.Percent {
			delta = strconv.FormatFloat(math.Abs(d), 'f', 1, 64) + " pt"
		}
		arrow, colour := "±0", t.muted
		switch {
		case d > 0:
			arrow, colour = "▲ "+delta, t.err
		case d < 0:
			arrow = "▼ " + delta
		}
		fmt.Fprintf(b, `<div class="tg-kpi" data-kpi="%s" style="width:%dpx;overflow:hidden"><div style="color:%s;white-space:nowrap">%s</div><div class="tg-value" style="font-size:%dpx;font-weight:600">%s</div><div style="color:%s" title="previous period: %s">%s <span style="color:%s;white-space:nowrap">vs %s</span></div></div>`,
			esc(k.Name), cw, t.muted, esc(k.Name), min(22, max(14, v.Height/4)), esc(val), colour, esc(prev), esc(arrow), t.muted, esc(prev))
	}
	b.WriteString(`</div>`)
	renderClouds(b, m, v, t)
	if len(m.Silent) > 0 {
		silent := make([]string, len(m.Silent))
		for i, a := range m.Silent {
			silent[i] = m.AccountLabel(a)
		}
		fmt.Fprintf(b, `<div style="color:%s;margin-top:4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis">silent %dh: %s</div>`, t.err, m.SilentHours, esc(strings.Join(silent, ", ")))
	}
}

// renderClouds writes the events per cloud against the previous period under the KPI strip:
// whenever another cloud than AWS has events in either period, or a cloud filter is set.
// Clouds that do not fit the width are left out (at 11 px a character is taken as 7 px).
func renderClouds(b *strings.Builder, m *Model, v View, t theme) {
	if m.Cloud == "" && (len(m.Clouds) == 0 || len(m.Clouds) == 1 && m.Clouds[0].Cloud == CloudAWS) {
		return
	}
	b.WriteString(`<div class="tg-clouds" style="margin-top:4px;white-space:nowrap;overflow:hidden;font-size:11px;height:16px">`)
	used := 0
	if m.Cloud != "" {
		label := "cloud " + m.Cloud + ":"
		fmt.Fprintf(b, `<span style="color:%s;margin-right:10px">%s</span>`, t.muted, esc(label))
		used += 7*len(label) + 10
	}
	if len(m.Clouds) == 0 {
		fmt.Fprintf(b, `<span style="color:%s">no event</span>`, t.muted)
	}
	for _, c := range m.Clouds {
		d := c.Change()
		arrow, colour := "±0", t.muted
		switch {
		case d > 0:
			arrow, colour = "▲ "+human(float64(d)), t.err
		case d < 0:
			arrow = "▼ " + human(float64(-d))
		}
		val := human(float64(c.Events))
		w := 7*(len(c.Cloud)+len(val)+len([]rune(arrow))+3) + 12
		if used+w > v.Width {
			break
		}
		used += w
		accounts := "accounts"
		if c.Accounts == 1 {
			accounts = "account"
		}
		fmt.Fprintf(b, `<span class="tg-cloud" data-cloud="%s" title="%s: %d events, %d errors, %d %s; previous period: %d events, %d accounts" style="margin-right:12px"><span style="color:%s">%s</span> <b class="tg-cloud-events">%s</b> <span style="color:%s">%s</span></span>`,
			esc(c.Cloud), esc(c.Cloud), c.Events, c.Errors, c.Accounts, accounts, c.Prev, c.PrevAccounts, t.muted, esc(c.Cloud), esc(val), colour, esc(arrow))
	}
	b.WriteString(`</div>`)
}

// niceMax rounds a maximum up to 1, 2 or 5 × a power of ten, for the axis.
func niceMax(x int64) int64 {
	if x <= 0 {
		return 1
	}
	p := int64(1)
	for p*10 <= x {
		p *= 10
	}
	for _, f := range []int64{1, 2, 5, 10} {
		if f*p >= x {
			return f * p
		}
	}
	return 10 * p
}

// hourLabels says which hour indexes carry an x-axis label, given the room per hour.
func hourLabels(n int, perHour float64) int {
	step := 1
	for float64(step)*perHour < 38 {
		step++
	}
	return step
}

func hourText(h time.Time, loc *time.Location, n int) string {
	if n > 48 {
		return h.In(loc).Format("01-02")
	}
	return h.In(loc).Format("15:04")
}

func renderActivity(b *strings.Builder, m *Model, v View, t theme) {
	n := len(m.Hours)
	legend := 16
	W, H := v.Width, v.Height-legend
	left, bottom, top, right := 44, 16, 6, 6
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	var peak int64
	for h := range n {
		peak = max(peak, m.Activity.Totals[h], m.Activity.Errors[h])
	}
	ymax := niceMax(peak)
	y := func(c int64) float64 { return float64(top) + ph - ph*float64(c)/float64(ymax) }
	bw := pw / float64(max(n, 1))
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="tg-chart" width="%d" height="%d" viewBox="0 0 %d %d" style="display:block" role="img" aria-label="activity per hour">`, W, H, W, H)
	for _, f := range []int64{0, ymax / 2, ymax} {
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/><text class="tg-ylabel" x="%d" y="%.1f" text-anchor="end" font-size="10" fill="%s">%s</text>`,
			left, W-right, y(f), y(f), t.grid, left-4, y(f)+3, t.muted, human(float64(f)))
	}
	for h := range n {
		base := int64(0)
		x := float64(left) + float64(h)*bw
		for i, band := range m.Activity.Bands {
			c := band.Counts[h]
			if c == 0 {
				continue
			}
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %d</title></rect>`,
				x+0.5, y(base+c), max(bw-1, 0.5), y(base)-y(base+c), bandColour(i, band.Account), esc(m.AccountLabel(band.Account)), hourText(m.Hours[h], v.Loc, 0), c)
			base += c
		}
	}
	if n > 0 {
		var pts []string
		for h, e := range m.Activity.Errors {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(left)+(float64(h)+0.5)*bw, y(e)))
		}
		fmt.Fprintf(b, `<polyline class="tg-errors" points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, strings.Join(pts, " "), t.err)
	}
	step := hourLabels(n, bw)
	for h := 0; h < n; h += step {
		fmt.Fprintf(b, `<text class="tg-xlabel" x="%.1f" y="%d" text-anchor="middle" font-size="10" fill="%s">%s</text>`,
			float64(left)+(float64(h)+0.5)*bw, H-3, t.muted, hourText(m.Hours[h], v.Loc, n))
	}
	b.WriteString(`</svg>`)
	fmt.Fprintf(b, `<div style="height:%dpx;white-space:nowrap;overflow:hidden;font-size:10px">`, legend)
	// The legend's entries as many as fit beside "— errors" (at 10 px a character is taken as
	// 6 px), then "+N" for the bands left out.
	room := W - 60
	for i, band := range m.Activity.Bands {
		label := m.ShortAccountLabel(band.Account)
		w := 20 + 6*len([]rune(label))
		if left := len(m.Activity.Bands) - i; w > room || (left > 1 && w > room-30) {
			rest := make([]string, 0, left)
			for _, o := range m.Activity.Bands[i:] {
				rest = append(rest, m.AccountLabel(o.Account))
			}
			fmt.Fprintf(b, `<span class="tg-legend-more" title="%s" style="margin-right:8px">+%d</span>`, esc(strings.Join(rest, ", ")), left)
			break
		}
		room -= w
		fmt.Fprintf(b, `<span class="tg-legend" title="%s" style="margin-right:8px"><span style="display:inline-block;width:8px;height:8px;background:%s"></span> %s</span>`,
			esc(m.AccountLabel(band.Account)), bandColour(i, band.Account), esc(label))
	}
	fmt.Fprintf(b, `<span style="color:%s">— errors</span></div>`, t.err)
}

// heatColour is a cell's colour: red above the usual, blue below, stronger with |z| (full at 4).
func heatColour(z float64, dark bool) string {
	a := math.Min(math.Abs(z)/4, 1)
	if math.Abs(z) < 1 {
		a = 0
	}
	var r, g, bl float64
	base := 255.0
	if dark {
		base = 52
	}
	if z > 0 {
		r, g, bl = base+(214-base)*a, base+(39-base)*a, base+(40-base)*a
	} else {
		r, g, bl = base+(31-base)*a, base+(119-base)*a, base+(180-base)*a
	}
	return fmt.Sprintf("#%02x%02x%02x", int(r), int(g), int(bl))
}

func renderHeatmap(b *strings.Builder, m *Model, v View, t theme) {
	n, rows := len(m.Hours), len(m.Heatmap.Rows)
	W, H := v.Width, v.Height
	// The rows' labels get 6 px a character (10 px text), 92 px at least, a third of the
	// width at most; a longer one is clipped (the full label is in its tooltip).
	labels := make([]string, rows)
	longest := 0
	for i, r := range m.Heatmap.Rows {
		labels[i] = m.ShortAccountLabel(r.Account)
		longest = max(longest, len([]rune(labels[i])))
	}
	left, bottom := min(max(92, 6*longest+8), max(92, W/3)), 16
	cw := float64(W-left) / float64(max(n, 1))
	ch := math.Min(float64(H-bottom)/float64(max(rows, 1)), 22)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="tg-chart" width="%d" height="%d" viewBox="0 0 %d %d" style="display:block" role="img" aria-label="account by hour deviation">`, W, H, W, H)
	for i, r := range m.Heatmap.Rows {
		y := float64(i) * ch
		fmt.Fprintf(b, `<text class="tg-ylabel" x="%d" y="%.1f" text-anchor="end" font-size="10" fill="%s">%s</text>`,
			left-4, y+ch/2+3, t.fg, esc(clip(labels[i], (left-8)/6)))
		for h, c := range r.Cells {
			stroke, width, inset, mark := t.grid, 0.5, 0.0, ""
			if len(c.NewRegions) > 0 { // a region the account had not used: outlined inside the cell
				stroke, width, inset, mark = t.newBadge, 2, 1, ` class="tg-newregion"`
			}
			fmt.Fprintf(b, `<rect%s x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="%s" stroke-width="%.1f"><title>%s %s: %d calls, usual %.1f (z %.1f)`,
				mark, float64(left)+float64(h)*cw+inset, y+inset, max(cw-2*inset, 1), max(ch-2*inset, 1), heatColour(c.Z, v.Dark), stroke, width,
				esc(m.AccountLabel(r.Account)), hourText(m.Hours[h], v.Loc, 0), c.Count, c.Mean, c.Z)
			writeRegions(b, c)
			b.WriteString(`</title></rect>`)
		}
	}
	step := hourLabels(n, cw)
	for h := 0; h < n; h += step {
		fmt.Fprintf(b, `<text class="tg-xlabel" x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="%s">%s</text>`,
			float64(left)+(float64(h)+0.5)*cw, float64(rows)*ch+12, t.muted, hourText(m.Hours[h], v.Loc, n))
	}
	b.WriteString(`</svg>`)
}

// writeRegions adds a heatmap cell's regions to its tooltip: "; eu-west-1 6, us-east-1 2;
// new region: eu-west-1".
func writeRegions(b *strings.Builder, c HeatCell) {
	for i, r := range c.Regions {
		if i == 0 {
			b.WriteString("; ")
		} else {
			b.WriteString(", ")
		}
		if r.Region == "" {
			b.WriteString("(no region)")
		} else {
			b.WriteString(esc(r.Region))
		}
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(r.Count, 10))
	}
	for i, r := range c.NewRegions {
		if i == 0 {
			b.WriteString("; new region: ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(esc(r))
	}
}

// table opens a compact table whose text never widens the panel.
func table(b *strings.Builder, t theme, heads ...string) {
	b.WriteString(`<table style="width:100%;border-collapse:collapse;table-layout:fixed;font-size:11px">`)
	b.WriteString(`<tr>`)
	for _, h := range heads {
		fmt.Fprintf(b, `<th style="text-align:left;color:%s;font-weight:500;border-bottom:1px solid %s;white-space:nowrap;overflow:hidden">%s</th>`, t.muted, t.grid, esc(h))
	}
	b.WriteString(`</tr>`)
}

const cell = `<td style="white-space:nowrap;overflow:hidden;text-overflow:ellipsis">`

func sparkline(b *strings.Builder, series []int64, w, h int, colour string) {
	var peak int64
	for _, c := range series {
		peak = max(peak, c)
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="tg-spark" width="%d" height="%d" viewBox="0 0 %d %d">`, w, h, w, h)
	var pts []string
	for i, c := range series {
		x := float64(w) * (float64(i) + 0.5) / float64(max(len(series), 1))
		y := float64(h-1) - float64(h-2)*float64(c)/float64(max(peak, 1))
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	if len(pts) == 1 {
		pts = append(pts, fmt.Sprintf("%d,%s", w, strings.Split(pts[0], ",")[1]))
	}
	fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.2"/></svg>`, strings.Join(pts, " "), colour)
}

// rowsThatFit is how many table rows of about 17 px fit under the header.
func rowsThatFit(v View) int { return max((v.Height-20)/17, 1) }

func renderPrincipals(b *strings.Builder, m *Model, v View, t theme) {
	table(b, t, "principal", "calls", "errors", "sources", "per hour")
	for _, p := range m.Principals[:min(len(m.Principals), rowsThatFit(v))] {
		name := Label(p.Cloud, p.Principal)
		fmt.Fprintf(b, `<tr><td title="%s" style="white-space:nowrap;overflow:hidden;text-overflow:ellipsis">%s</td>%s%s</td>%s%s</td>%s%d</td><td>`, esc(name), esc(name), cell, human(float64(p.Count)), cell, human(float64(p.Errors)), cell, p.Sources)
		sparkline(b, p.Series, 80, 14, palette[0])
		b.WriteString(`</td></tr>`)
	}
	b.WriteString(`</table>`)
}

func renderSources(b *strings.Builder, m *Model, v View, t theme) {
	table(b, t, "source", "calls", "errors", "principals", "accounts")
	for _, s := range m.Sources[:min(len(m.Sources), rowsThatFit(v))] {
		badge := ""
		if s.New {
			badge = fmt.Sprintf(` <span class="tg-new" style="color:%s;font-weight:600">new</span>`, t.newBadge)
		}
		if len(s.Clouds) > 0 { // called another cloud's accounts: which clouds
			badge += fmt.Sprintf(` <span class="tg-cloud" style="color:%s">%s</span>`, t.muted, esc(strings.Join(s.Clouds, " ")))
		}
		fmt.Fprintf(b, `<tr>%s%s%s</td>%s%s</td>%s%s</td>%s%d</td>%s%d</td></tr>`, cell, esc(s.Source), badge, cell, human(float64(s.Count)), cell, human(float64(s.Errors)), cell, s.Principals, cell, s.Accounts)
	}
	b.WriteString(`</table>`)
}

// renderBars draws two ranked lists side by side as horizontal SVG bars.
func renderBars(b *strings.Builder, v View, t theme, titleA string, a []Count, titleB string, c []Count) {
	half := (v.Width - 8) / 2
	for i, list := range [][]Count{a, c} {
		title := titleA
		if i == 1 {
			title = titleB
		}
		rows := max((v.Height-18)/16, 1)
		list = list[:min(len(list), rows)]
		H := max(len(list)*16, 16)
		fmt.Fprintf(b, `<div style="display:inline-block;vertical-align:top;width:%dpx;margin-right:%dpx"><div style="color:%s">%s</div>`, half, 8*(1-i), t.muted, esc(title))
		fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="tg-chart" width="%d" height="%d" viewBox="0 0 %d %d">`, half, H, half, H)
		var peak int64 = 1
		for _, e := range list {
			peak = max(peak, e.Count)
		}
		if len(list) == 0 {
			fmt.Fprintf(b, `<text x="0" y="12" font-size="11" fill="%s">none</text>`, t.muted)
		}
		// A label gets labelW px before its bar: at 11 px a character is up to about 7 px
		// wide (digits and capitals of ARNs and error codes), so it is clipped to that.
		labelW := half * 55 / 100
		for j, e := range list {
			y := j * 16
			w := float64(half-labelW-40) * float64(e.Count) / float64(peak)
			fmt.Fprintf(b, `<text class="tg-label" x="0" y="%d" font-size="11" fill="%s">%s</text><rect x="%d" y="%d" width="%.1f" height="11" fill="%s"/><text class="tg-value" x="%.1f" y="%d" font-size="10" fill="%s">%s</text>`,
				y+11, t.fg, esc(clip(e.Name, (labelW-4)/7)), labelW, y+2, math.Max(w, 1), palette[0], float64(labelW)+math.Max(w, 1)+3, y+11, t.muted, human(float64(e.Count)))
		}
		b.WriteString(`</svg></div>`)
	}
}

// clip shortens s to n runes with an ellipsis (the full text stays in the fixture data).
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}

func renderAlerts(b *strings.Builder, m *Model, v View, t theme) {
	if len(m.Alerts) == 0 {
		fmt.Fprintf(b, `<div style="color:%s">no alert sent in this period</div>`, t.muted)
		return
	}
	table(b, t, "when", "severity", "kind", "who", "from", "account")
	for _, a := range m.Alerts[:min(len(m.Alerts), rowsThatFit(v))] {
		colour := t.fg
		if a.Severity == "HIGH" {
			colour = t.err
		}
		who := a.User
		if who == "" {
			who = a.Principal
		}
		fmt.Fprintf(b, `<tr>%s%s</td>%s<span style="color:%s;font-weight:600">%s</span></td>%s%s</td>%s%s</td>%s%s</td>%s%s</td></tr>`,
			cell, a.At.In(v.Loc).Format("01-02 15:04"), cell, colour, esc(string(a.Severity)), cell, esc(a.Kind), cell, esc(who), cell, esc(a.SourceIP), cell, esc(m.AccountLabel(a.Account)))
	}
	b.WriteString(`</table>`)
}

func renderChanges(b *strings.Builder, m *Model, v View, t theme) {
	if m.NeedTag {
		fmt.Fprintf(b, `<div style="color:%s">The change log is read by tag: add {"tag": "key=value"} (e.g. project=apollo) to this widget's parameters.</div>`, t.muted)
		return
	}
	if m.Tag != "" {
		fmt.Fprintf(b, `<div style="color:%s">tag %s</div>`, t.muted, esc(m.Tag))
	}
	if len(m.Changes) == 0 {
		fmt.Fprintf(b, `<div style="color:%s">no change in this period</div>`, t.muted)
		return
	}
	table(b, t, "when", "event", "resource", "who", "tags")
	for _, c := range m.Changes[:min(len(m.Changes), rowsThatFit(v))] {
		keys := make([]string, 0, len(c.Tags))
		for k := range c.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var tagText []string
		for _, k := range keys {
			tagText = append(tagText, k+"="+c.Tags[k])
		}
		fmt.Fprintf(b, `<tr>%s%s</td>%s%s</td>%s%s</td>%s%s</td>%s%s</td></tr>`,
			cell, c.At().In(v.Loc).Format("01-02 15:04"), cell, esc(c.EventName), cell, esc(c.Resource), cell, esc(c.Principal), cell, esc(strings.Join(tagText, " ")))
	}
	b.WriteString(`</table>`)
}

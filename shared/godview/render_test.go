package godview

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/tags"
)

// Widget sizes CloudWatch gives custom widgets: the dashboard grid is 24 columns wide and
// a row is about 30 px; these are the sizes of the layouts in template.yaml and the extremes.
var widgetSizes = []View{{Width: 1200, Height: 180}, {Width: 600, Height: 300}, {Width: 400, Height: 240}, {Width: 240, Height: 120}}

// hostile is the fixture with attacker-controlled text where the page shows text.
func hostile(t *testing.T) Model {
	src := fixture()
	evil := `<script>alert(1)</script>" onload="x`
	src.Rows = append(src.Rows, row(fixtureRange.From, acctA, evil, `"><iframe src=x>`, `<use href="#a"/>`, "AWS::"+evil+"::X", "AccessDenied"+evil, 3),
		cloudRow(fixtureRange.From, evil, evil, evil, evil, evil, "AccessDenied", evil, 2)) // a cloud's account, as stored
	a := alert.Alert{Kind: evil, Severity: alert.High, Account: acctA, User: evil, SourceIP: evil, EventID: "ev-evil", EventTime: fixtureRange.From}
	_ = src.History.Record(context.Background(), []alert.Sent{alert.SentAt(&a, fixtureRange.From.Add(time.Minute))})
	_, _, _ = src.ChangeLog.Put(context.Background(), changelog.Change{Time: "2026-03-10T11:00:00Z", EventID: "ev-evil", EventName: evil,
		Principal: evil, Resource: evil, Tags: tags.Tags{"project": evil, evil: "x"}})
	m, err := Build(context.Background(), src, fixtureRange, Options{SilentHours: 2})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// contract parses an HTML fragment as XML (the renderer writes well-formed markup) and
// reports what CloudWatch would strip or what could reach out: scripts, iframes, <use>,
// foreignObject, event attributes, links and external references.
func contract(r io.Reader) (svgs int, problems []string) {
	d := xml.NewDecoder(r)
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return svgs, problems
		}
		if err != nil {
			return svgs, append(problems, "not well-formed: "+err.Error())
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(el.Name.Local) {
		case "script", "iframe", "use", "foreignobject", "object", "embed", "img", "link", "a", "image", "style":
			problems = append(problems, "element <"+el.Name.Local+">")
		case "svg":
			svgs++
		}
		for _, at := range el.Attr {
			name := strings.ToLower(at.Name.Local)
			val := strings.ToLower(at.Value)
			if strings.HasPrefix(name, "on") || name == "href" || name == "src" || name == "srcset" ||
				strings.Contains(val, "url(") || strings.Contains(val, "javascript:") || strings.Contains(val, "@import") {
				problems = append(problems, fmt.Sprintf("<%s %s=%q>", el.Name.Local, at.Name.Local, at.Value))
			}
		}
	}
}

// wantSVG are the panels that draw an SVG chart with the fixture's data.
var wantSVG = map[Panel]bool{PanelActivity: true, PanelHeatmap: true, PanelPrincipals: true, PanelEvents: true, PanelErrors: true}

func TestRenderContract(t *testing.T) {
	models := map[string]Model{"fixture": build(t, Options{}), "hostile": hostile(t), "empty": {},
		"clouds": buildClouds(t, Options{}), "one cloud": buildClouds(t, Options{Cloud: "huawei"})}
	for name, m := range models {
		for _, p := range Panels {
			for _, size := range widgetSizes {
				for _, dark := range []bool{false, true} {
					v := size
					v.Dark = dark
					t.Run(fmt.Sprintf("%s/%s/%dx%d/dark=%v", name, p, v.Width, v.Height, dark), func(t *testing.T) {
						var buf bytes.Buffer
						if err := Render(&buf, &m, p, v); err != nil {
							t.Fatal(err)
						}
						svgs, problems := contract(bytes.NewReader(buf.Bytes()))
						for _, pr := range problems {
							t.Errorf("%s", pr)
						}
						if (name == "fixture" || name == "clouds") && wantSVG[p] && svgs == 0 {
							t.Errorf("no <svg> in %s", buf.String())
						}
						if s := buf.String(); !strings.Contains(s, fmt.Sprintf("width:%dpx;height:%dpx", v.Width, v.Height)) {
							t.Errorf("panel not sized %dx%d: %.200s", v.Width, v.Height, s)
						}
					})
				}
			}
		}
	}
}

func TestRenderShowsFixtureValues(t *testing.T) {
	m := build(t, Options{Tag: "project=apollo"})
	loc, _ := time.LoadLocation("Europe/Paris")
	for _, tc := range []struct {
		panel Panel
		loc   *time.Location
		want  []string
	}{
		{PanelKPIs, nil, []string{">112<", ">10.7%<", "vs 24", "▲ 88", "silent 2h: 333333333333"}},
		{PanelActivity, nil, []string{">10:00<", ">13:00<", ">50<", "111111111111", "222222222222", `class="tg-errors"`}},
		{PanelActivity, loc, []string{">11:00<", ">14:00<"}}, // Paris is UTC+1 in March
		{PanelHeatmap, nil, []string{">111111111111<", ">333333333333<", "50 calls, usual 10.0 (z 12.6); us-east-1 50<",
			`class="tg-newregion"`, "32 calls, usual 0.0 (z 32.0); ap-southeast-2 32; new region: ap-southeast-2<"}},
		{PanelPrincipals, nil, []string{alice, ">70<", carol, "tg-spark"}},
		{PanelSources, nil, []string{"192.0.2.77 <span class=\"tg-new\"", ">203.0.113.5<"}},
		{PanelEvents, nil, []string{">DeleteBucket<", ">s3<", ">74<", ">ec2<"}},
		{PanelErrors, nil, []string{">Client.UnauthorizedOperation<", ">AccessDenied<"}},
		{PanelAlerts, nil, []string{"root-sign-in", "HIGH", "192.0.2.77", "unauthorized-api-call"}},
		{PanelChanges, nil, []string{"tag project=apollo", "arn:aws:s3:::apollo-logs", "owner=alice project=apollo"}},
	} {
		var buf bytes.Buffer
		if err := Render(&buf, &m, tc.panel, View{Width: 1200, Height: 400, Loc: tc.loc}); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: %q missing from %s", tc.panel, w, buf.String())
			}
		}
	}
	needTag := Model{NeedTag: true}
	var buf bytes.Buffer
	_ = Render(&buf, &needTag, PanelChanges, View{})
	if !strings.Contains(buf.String(), "key=value") {
		t.Errorf("changes without a tag on DynamoDB: %s, want the hint", buf.String())
	}
	if err := Render(io.Discard, &m, "nope", View{}); err == nil {
		t.Error("unknown panel rendered")
	}
}

func TestPageSelfContained(t *testing.T) {
	m := hostile(t)
	var buf bytes.Buffer
	if err := Page(&buf, &m, View{Width: 600, Height: 300}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	body := s[strings.Index(s, "<body>"):]
	svgs, problems := contract(strings.NewReader(body[:len(body)-len("</html>")]))
	for _, p := range problems {
		t.Error(p)
	}
	if svgs < 5 {
		t.Errorf("%d svgs in the page, want every chart", svgs)
	}
	for _, p := range Panels {
		if !strings.Contains(s, `<section id="`+string(p)+`">`) {
			t.Errorf("page lacks panel %s", p)
		}
	}
	if strings.Contains(s, "http://") && strings.Count(s, "http://") != strings.Count(s, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("page refers to an external address")
	}
}

// orgDay is a model of a day of an organization: 20 accounts, 24 hours, 50 principals and
// 200 sources per account, a week of history.
func orgDay(b *testing.B) Model {
	r := Range{fixtureRange.From, fixtureRange.From.Add(24 * time.Hour)}
	var rows []counters.Row
	w := Window(r)
	for h := w.From; h.Before(w.To); h = h.Add(time.Hour) {
		for a := range 20 {
			acct := fmt.Sprintf("1000000000%02d", a)
			for p := range 10 {
				code := ""
				if p == 0 {
					code = "AccessDenied"
				}
				rows = append(rows, row(h, acct, fmt.Sprintf("arn:aws:iam::%s:user/u%d", acct, p), fmt.Sprintf("198.51.%d.%d", a, (p*7+h.Hour())%200),
					fmt.Sprintf("Event%d", p%30), "AWS::S3::Bucket", code, int64(1+p*h.Hour()%17)))
			}
		}
	}
	m, err := Build(context.Background(), &Memory{Rows: rows}, r, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkRender(b *testing.B) {
	m := orgDay(b)
	v := View{Width: 1200, Height: 300}
	for _, p := range Panels {
		b.Run(string(p), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Render(io.Discard, &m, p, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBuildOrgDay(b *testing.B) {
	r := Range{fixtureRange.From, fixtureRange.From.Add(24 * time.Hour)}
	m := orgDay(b)
	_ = m
	var rows []counters.Row
	w := Window(r)
	for h := w.From; h.Before(w.To); h = h.Add(time.Hour) {
		for a := range 20 {
			for p := range 10 {
				rows = append(rows, row(h, fmt.Sprint(a), fmt.Sprint(p), fmt.Sprint(p), "E", "", "", 1))
			}
		}
	}
	src := &Memory{Rows: rows}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(context.Background(), src, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// summariesOf is a SummarySource over summaries made beforehand: Build as the deployed view
// runs it, the reading left out.
type summariesOf struct {
	Memory
	sums []counters.Summary
}

func (s *summariesOf) Summaries(_ context.Context, from, to time.Time, detail bool) ([]counters.Summary, error) {
	lo, hi := from.Format(counters.HourLayout), to.Format(counters.HourLayout)
	var out []counters.Summary
	for _, x := range s.sums {
		if x.Hour >= lo && x.Hour < hi {
			if !detail {
				x.Detail = nil
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// BenchmarkBuildOrgDaySummaries: Build over a day of 20 accounts and its week of history from
// hour summaries (the deployed view's computation, without the Queries).
func BenchmarkBuildOrgDaySummaries(b *testing.B) {
	r := Range{fixtureRange.From, fixtureRange.From.Add(24 * time.Hour)}
	var rows []counters.Row
	w := Window(r)
	for h := w.From; h.Before(w.To); h = h.Add(time.Hour) {
		for a := range 20 {
			for p := range 10 {
				rows = append(rows, row(h, fmt.Sprint(a), fmt.Sprint(p), fmt.Sprint(p), "E", "", "", 1))
			}
		}
	}
	src := &summariesOf{sums: counters.Summarize(rows, true)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(context.Background(), src, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

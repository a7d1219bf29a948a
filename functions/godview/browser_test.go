package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/godview"
	"github.com/trailguard/trailguard/shared/tags"
)

// The browser fixture: two accounts over 2026-03-10 10:00-14:00 UTC, a week of alice's usual
// listing before it, two alerts and two changes tagged project=apollo. The answers the panels
// must show are worked out by hand in TestBrowser.
const (
	bA, bB  = "111111111111", "222222222222"
	bAlice  = "arn:aws:iam::111111111111:user/alice"
	bBob    = "arn:aws:iam::222222222222:user/bob"
	bCarol  = "arn:aws:sts::222222222222:assumed-role/ops/carol"
	bFrom   = "2026-03-10T10"
	bTo     = "2026-03-10T14"
	bStartH = 10
)

func browserSource() *godview.Memory {
	start := time.Date(2026, 3, 10, bStartH, 0, 0, 0, time.UTC)
	at := func(h int) string { return start.Add(time.Duration(h) * time.Hour).Format(counters.HourLayout) }
	services := map[string]string{"ListBuckets": "s3.amazonaws.com", "DeleteBucket": "s3.amazonaws.com", "GetObject": "s3.amazonaws.com",
		"RunInstances": "ec2.amazonaws.com", "DescribeInstances": "ec2.amazonaws.com"}
	r := func(h int, account, principal, ip, event, rt, code string, n int64) counters.Row {
		region := "us-east-1"
		if principal == bCarol {
			region = "ap-southeast-2" // new to account B: outlined on the heatmap
		}
		return counters.Row{Key: counters.Key{Hour: at(h), Account: account, Principal: principal, SourceIP: ip,
			EventName: event, ResourceType: rt, ErrorCode: code, EventType: "AwsApiCall", Region: region, EventSource: services[event]}, Count: n}
	}
	var rows []counters.Row
	for d := 1; d <= 7; d++ {
		for h := range 4 {
			rows = append(rows, r(h-24*d, bA, bAlice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 10))
		}
	}
	// Account B worked in us-east-1 two days before (carol's ap-southeast-2 calls are new).
	rows = append(rows, r(2-48, bB, bBob, "198.51.100.7", "ListBuckets", "AWS::S3::Bucket", "", 7))
	rows = append(rows,
		r(0, bA, bAlice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 10),
		r(1, bA, bAlice, "198.51.100.1", "ListBuckets", "AWS::S3::Bucket", "", 10),
		r(2, bA, bAlice, "192.0.2.77", "DeleteBucket", "AWS::S3::Bucket", "", 50),
		r(0, bB, bBob, "203.0.113.5", "RunInstances", "AWS::EC2::Instance", "Client.UnauthorizedOperation", 6),
		r(1, bB, bBob, "203.0.113.5", "GetObject", "AWS::S3::Object", "AccessDenied", 4),
		r(3, bB, bCarol, "203.0.113.5", "DescribeInstances", "", "", 30),
	)
	ctx := context.Background()
	h := &alert.MemoryHistory{}
	for _, a := range []alert.Alert{
		{Kind: "root-sign-in", Severity: alert.High, Account: bA, Principal: "arn:aws:iam::111111111111:root", User: "root",
			SourceIP: "192.0.2.77", EventID: "ev-root", EventName: "ConsoleLogin", EventTime: start.Add(90 * time.Minute)},
		{Kind: "unauthorized-api-call", Severity: alert.Low, Account: bB, Principal: bBob, User: "bob",
			SourceIP: "203.0.113.5", EventID: "ev-denied", EventName: "GetObject", EventTime: start.Add(70 * time.Minute)},
	} {
		_ = h.Record(ctx, []alert.Sent{alert.SentAt(&a, a.EventTime.Add(time.Minute))})
	}
	cl := &changelog.MemoryStore{}
	for _, c := range []changelog.Change{
		{Time: "2026-03-10T12:05:00Z", EventID: "c1", EventName: "DeleteBucket", Account: bA, Principal: bAlice,
			Resource: "arn:aws:s3:::apollo-logs", Tags: tags.Tags{"project": "apollo"}},
		{Time: "2026-03-10T10:30:00Z", EventID: "c2", EventName: "PutBucketPolicy", Account: bA, Principal: bAlice,
			Resource: "arn:aws:s3:::apollo-data", Tags: tags.Tags{"project": "apollo"}},
	} {
		_, _, _ = cl.Put(ctx, c)
	}
	return &godview.Memory{Rows: rows, History: h, ChangeLog: cl}
}

// The other clouds of the clouds fixture, as cloudpoll counts them (shapes as in
// events/cloudpoll): a Huawei account (32 hex characters), an Alibaba one (16 digits) and a
// Tencent one (a 12-digit UIN, like an AWS account).
const (
	cHw, cHwUser   = "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	cAli, cAliUser = "1234567890123456", "203456789012345678"
	cTc, cTcUser   = "100012345678", "100098765432"
)

// cloudSource is the browser fixture with the three other clouds' sign-ins and calls in the
// range: Huawei 4 (10:00), Tencent 2 (11:00), Alibaba 5 (12:00): 121 events with AWS's 110.
func cloudSource() *godview.Memory {
	m := browserSource()
	start := time.Date(2026, 3, 10, bStartH, 0, 0, 0, time.UTC)
	r := func(h int, cloud, account, principal, ip, event, region string, n int64) counters.Row {
		return counters.Row{Key: counters.Key{Hour: start.Add(time.Duration(h) * time.Hour).Format(counters.HourLayout), Account: account,
			Principal: principal, SourceIP: ip, EventName: event, Region: region, Cloud: cloud}, Count: n}
	}
	m.Rows = append(slices.Clone(m.Rows),
		r(0, "huawei", cHw, cHwUser, "203.0.113.66", "login", "", 4),
		r(1, "tencent", cTc, cTcUser, "198.51.100.10", "ConsoleLogin", "ap-guangzhou", 2),
		r(2, "alibaba", cAli, cAliUser, "203.0.113.66", "ConsoleSignin", "cn-hangzhou", 5),
	)
	return m
}

// browserPath finds Chromium as scripts/ensure-browser installs it (CHROME overrides).
func browserPath() string {
	if p := os.Getenv("CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium with a fresh profile. Without a browser the test skips,
// except under CI=true, where it fails: CI must have run scripts/ensure-browser.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := browserPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found under CI=true: run scripts/ensure-browser (make test does)")
		}
		t.Skip("no Chromium found: run scripts/ensure-browser (make test does) or set CHROME")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, for the test's lifetime
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// shotDir is where the screenshots go: $GODVIEW_SCREENSHOTS, else testdata/out (gitignored).
func shotDir(t *testing.T) string {
	dir := os.Getenv("GODVIEW_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// panelReport is what the page script measures of one .tg-panel.
type panelReport struct {
	Panel     string     `json:"panel"`
	W         float64    `json:"w"`
	H         float64    `json:"h"`
	Overflows []string   `json:"overflows"`
	SVGs      []svgBox   `json:"svgs"`
	XLabels   []string   `json:"xlabels"`
	YLabels   []string   `json:"ylabels"`
	Labels    []string   `json:"labels"`
	Values    []string   `json:"values"`
	Cells     [][]string `json:"cells"`
	KPIs      [][]string `json:"kpis"`
	Text      string     `json:"text"`
}

// svgBox is one SVG's box on the page and the extent of what it draws (getBBox).
type svgBox struct {
	Class      string
	W, H       float64
	BW, BH     float64
	Marks      int
	ContentErr string
}

// measure runs in the page: for every panel, any element that reaches past the panel (or
// past its SVG, for the SVG's own text and shapes) by more than a pixel, each SVG's box and
// the extent of what it draws, any box that hides part of its content (overflow hidden
// without an ellipsis), and the texts the charts and tables show. Table cells clip their text
// with an ellipsis by design: a cell is checked, not what it clips.
const measure = `(() => [...document.querySelectorAll('.tg-panel')].map(p => {
  const pr = p.getBoundingClientRect();
  const over = [];
  for (const el of p.querySelectorAll('*')) {
    if (el.closest('td,th') && !el.matches('td,th')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const svg = el.tagName.toLowerCase() === 'svg' ? null : el.closest('svg');
    const box = svg ? svg.getBoundingClientRect() : pr;
    if (r.left < box.left - 1 || r.top < box.top - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1) {
      over.push(el.tagName + '.' + (el.getAttribute('class') || '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '" ' +
        [r.left - box.left, r.top - box.top, r.right - box.right, r.bottom - box.bottom].map(x => x.toFixed(1)).join(','));
    }
  }
  for (const el of [p, ...p.querySelectorAll('*')]) {
    if (el.closest('svg')) continue;
    const cs = getComputedStyle(el);
    if (cs.textOverflow === 'ellipsis' || cs.display === 'inline') continue;
    const clipX = cs.overflowX !== 'visible', clipY = cs.overflowY !== 'visible';
    if ((clipX && el.scrollWidth > el.clientWidth + 1) || (clipY && el.scrollHeight > el.clientHeight + 1)) {
      over.push(el.tagName + '.' + (el.getAttribute('class') || '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '" clips its content: ' +
        el.scrollWidth + '×' + el.scrollHeight + ' in ' + el.clientWidth + '×' + el.clientHeight);
    }
  }
  for (const label of p.querySelectorAll('text.tg-label')) {
    const bar = label.nextElementSibling;
    if (!bar) continue;
    const l = label.getBoundingClientRect(), r = bar.getBoundingClientRect();
    if (l.right > r.left + 1) over.push('label "' + label.textContent + '" runs into its bar by ' + (l.right - r.left).toFixed(1) + ' px');
  }
  const svgs = [...p.querySelectorAll('svg')].map(s => {
    const r = s.getBoundingClientRect();
    let bw = 0, bh = 0, err = '';
    try { const b = s.getBBox(); bw = b.width; bh = b.height; } catch (e) { err = String(e); }
    return {cls: s.getAttribute('class') || '', w: r.width, h: r.height, bw, bh, err,
      marks: s.querySelectorAll('rect,polyline,line,text').length};
  });
  const texts = sel => [...p.querySelectorAll(sel)].map(e => e.textContent.trim());
  return {panel: p.dataset.panel, w: pr.width, h: pr.height, overflows: over, svgs,
    xlabels: texts('.tg-xlabel'), ylabels: texts('.tg-ylabel'), labels: texts('.tg-label'), values: texts('svg .tg-value'),
    cells: [...p.querySelectorAll('tr')].slice(1).map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim())),
    kpis: [...p.querySelectorAll('.tg-kpi')].map(k => [k.dataset.kpi, k.querySelector('.tg-value').textContent.trim()]),
    text: p.innerText};
}))()`

// UnmarshalJSON reads the svgBox the page script returns.
func (s *svgBox) UnmarshalJSON(b []byte) error {
	var raw struct {
		Cls   string  `json:"cls"`
		W     float64 `json:"w"`
		H     float64 `json:"h"`
		BW    float64 `json:"bw"`
		BH    float64 `json:"bh"`
		Marks int     `json:"marks"`
		Err   string  `json:"err"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = svgBox{Class: raw.Cls, W: raw.W, H: raw.H, BW: raw.BW, BH: raw.BH, Marks: raw.Marks, ContentErr: raw.Err}
	return nil
}

// wantPanel is what a panel of the browser fixture must show.
type wantPanel struct {
	svgs     int      // SVG charts with content, at least
	xlabels  []string // in order (a subset when the axis is crowded: each shown must be one of these)
	ylabels  []string
	labels   []string // the ranked bars' labels, in order
	values   []string
	firstRow []string // the first table row's cells, as a prefix
	rows     int      // table rows, at least
	kpis     [][]string
	text     []string // in the panel's text
}

// The fixture's answers (range 10:00-14:00): hourly totals 16, 14, 50, 30 (peak 50: axis 0,
// 25, 50); errors 6+4 = 10 of 110 calls, all access denied (UnauthorizedOperation and
// AccessDenied), by bob; three principals, three sources, 192.0.2.77 and 203.0.113.5 new.
var wantPanels = map[string]wantPanel{
	"kpis": {kpis: [][]string{{"events", "110"}, {"error %", "9.1%"}, {"access denied", "10"}, {"principals", "3"}, {"sources", "3"}, {"silent accounts", "0"}}},
	"activity": {svgs: 1, xlabels: []string{"10:00", "11:00", "12:00", "13:00"}, ylabels: []string{"0", "25", "50"},
		text: []string{bA, bB, "errors"}},
	"heatmap":    {svgs: 1, xlabels: []string{"10:00", "11:00", "12:00", "13:00"}, ylabels: []string{bA, bB}},
	"principals": {svgs: 3, firstRow: []string{bAlice, "70", "0", "2"}, rows: 3},
	"sources":    {firstRow: []string{"192.0.2.77 new", "50", "0", "1", "1"}, rows: 3},
	"events": {svgs: 2, labels: []string{"DeleteBucket", "DescribeInstances", "ListBuckets", "RunInstances", "GetObject"},
		values: []string{"50", "30", "20", "6", "4"}, text: []string{"s3", "ec2"}},
	"errors": {svgs: 2, labels: []string{"Client.UnauthorizedOperation", "AccessDenied", bBob}, values: []string{"6", "4", "10"}},
	"alerts": {firstRow: []string{"03-10 11:31", "HIGH", "root-sign-in", "root", "192.0.2.77", bA}, rows: 2},
	"changes": {firstRow: []string{"03-10 12:05", "DeleteBucket", "arn:aws:s3:::apollo-logs", bAlice, "project=apollo"}, rows: 2,
		text: []string{"project=apollo"}},
}

// dashboardSizes reads the custom widgets' grid sizes from template.yaml's GodViewDashboard.
func dashboardSizes(t *testing.T) map[string][2]int {
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"type": "custom", "x": \d+, "y": \d+, "width": (\d+), "height": (\d+), .*"params": \{"panel": "(\w+)"`)
	out := map[string][2]int{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		out[m[3]] = [2]int{w, h}
	}
	for _, p := range godview.Panels {
		if _, ok := out[string(p)]; !ok {
			t.Fatalf("template.yaml's GodViewDashboard has no custom widget for panel %q", p)
		}
	}
	return out
}

// Pixel sizes of a grid unit. The dashboard is 24 columns across the browser's width; a row
// is a fixed height. CloudWatch sends the widget's content size in widgetContext
// (testdata/widget-request.json: a 12×8 widget at 588×369 px, 49 px a column on a
// 1280-px screen); the test also draws every widget at 79 px a column (a 1920-px screen).
const rowPx = 46

var columnPx = []int{49, 79}

// TestBrowser renders the god view in headless Chromium: the local page as -serve serves it,
// and each panel through the custom-widget handler at the size template.yaml's dashboard
// gives it, light and dark. Every panel must draw its SVGs with a non-empty box, show the
// fixture's axis labels and values, and keep everything inside its panel. Screenshots go to
// testdata/out (or $GODVIEW_SCREENSHOTS).
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	dir := shotDir(t)
	src := browserSource()
	h := &Handler{Source: src}
	rawReq, err := os.ReadFile("testdata/widget-request.json")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", &pages{Source: src, View: godview.View{Width: 600, Height: 300}})
	clouds := &Handler{Source: cloudSource()}
	mux.Handle("/clouds/", http.StripPrefix("/clouds", &pages{Source: clouds.Source, View: godview.View{Width: 600, Height: 300}}))
	// /widget renders one panel as the dashboard would: the real request shape, the widget's
	// size and theme, the fixture's range; the HTML the function returns, in a bare page.
	mux.HandleFunc("/widget", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var req map[string]any
		_ = json.Unmarshal(rawReq, &req)
		req["panel"] = q.Get("panel")
		if tag := q.Get("tag"); tag != "" {
			req["tag"] = tag
		}
		wc := req["widgetContext"].(map[string]any)
		wc["width"], _ = strconv.Atoi(q.Get("w"))
		wc["height"], _ = strconv.Atoi(q.Get("h"))
		wc["theme"] = q.Get("theme")
		if cloud := q.Get("cloud"); cloud != "" {
			req["cloud"] = cloud
		}
		body, _ := json.Marshal(req)
		handler := h
		if q.Get("src") == "clouds" {
			handler = clouds
		}
		out, err := handler.Handle(r.Context(), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body style="margin:0">%s</body></html>`, html.EscapeString(q.Get("panel")), out)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	t.Run("page", func(t *testing.T) {
		url := srv.URL + "/?from=" + bFrom + "&to=" + bTo + "&tag=project=apollo"
		reports, shot := visit(t, ctx, url, chromedp.FullScreenshot(100))
		writeShot(t, filepath.Join(dir, "page.png"), shot)
		checkPanels(t, reports, 600, 300)
	})

	t.Run("clouds page", func(t *testing.T) {
		reports, shot := visit(t, ctx, srv.URL+"/clouds/?from="+bFrom+"&to="+bTo+"&tag=project=apollo", chromedp.FullScreenshot(100))
		writeShot(t, filepath.Join(dir, "clouds-page.png"), shot)
		checkClouds(t, reports, 600, 300, "")
	})

	sizes := dashboardSizes(t)
	// The clouds fixture at every widget size: labels shown, nothing past its panel.
	for _, col := range columnPx {
		for _, cloud := range []string{"", "huawei"} {
			for _, p := range cloudPanels {
				grid := sizes[string(p)]
				w, hh := grid[0]*col, grid[1]*rowPx
				name := fmt.Sprintf("clouds-%s-%s-%dx%d-%dpx", cmp.Or(cloud, "all"), p, grid[0], grid[1], w)
				t.Run(name, func(t *testing.T) {
					url := fmt.Sprintf("%s/widget?src=clouds&panel=%s&w=%d&h=%d&theme=light&cloud=%s", srv.URL, p, w, hh, cloud)
					if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w)+20, int64(hh)+20)); err != nil {
						t.Fatal(err)
					}
					reports, shot := visit(t, ctx, url, chromedp.Screenshot(chromedp.CSS(`.tg-panel`)))
					writeShot(t, filepath.Join(dir, name+".png"), shot)
					checkClouds(t, reports, w, hh, cloud)
				})
			}
		}
	}
	for _, col := range columnPx {
		for _, theme := range []string{"light", "dark"} {
			for _, p := range godview.Panels {
				grid := sizes[string(p)]
				w, hh := grid[0]*col, grid[1]*rowPx
				name := fmt.Sprintf("%s-%dx%d-%dpx-%s", p, grid[0], grid[1], w, theme)
				t.Run(name, func(t *testing.T) {
					url := fmt.Sprintf("%s/widget?panel=%s&w=%d&h=%d&theme=%s&tag=project=apollo", srv.URL, p, w, hh, theme)
					if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w)+20, int64(hh)+20)); err != nil {
						t.Fatal(err)
					}
					reports, shot := visit(t, ctx, url, chromedp.Screenshot(chromedp.CSS(`.tg-panel`)))
					writeShot(t, filepath.Join(dir, name+".png"), shot)
					checkPanels(t, reports, w, hh)
				})
			}
		}
	}
}

// visit loads url, waits for its last panel, measures the panels and takes the screenshot.
func visit(t *testing.T, browser context.Context, url string, shoot chromedp.Action[[]byte]) ([]panelReport, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`.tg-panel`))); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	reports, err := chromedp.Run(ctx, chromedp.Evaluate[[]panelReport](measure))
	if err != nil {
		t.Fatalf("measure %s: %v", url, err)
	}
	shot, err := chromedp.Run(ctx, shoot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", url, err)
	}
	return reports, shot
}

func writeShot(t *testing.T, path string, png []byte) {
	t.Helper()
	if len(png) == 0 {
		t.Errorf("empty screenshot %s", path)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Error(err)
	}
}

// checkPanels checks each measured panel against its size and the fixture's answers.
func checkPanels(t *testing.T, reports []panelReport, w, h int) {
	t.Helper()
	if len(reports) == 0 {
		t.Fatal("no .tg-panel on the page")
	}
	for _, r := range reports {
		want, ok := wantPanels[r.Panel]
		if !ok {
			t.Errorf("unexpected panel %q", r.Panel)
			continue
		}
		if int(r.W+0.5) != w || int(r.H+0.5) != h {
			t.Errorf("%s: panel is %.0f×%.0f px, want %d×%d", r.Panel, r.W, r.H, w, h)
		}
		for _, o := range r.Overflows {
			t.Errorf("%s at %d×%d: overflows its box: %s", r.Panel, w, h, o)
		}
		drawn := 0
		for _, s := range r.SVGs {
			if s.W <= 0 || s.H <= 0 {
				t.Errorf("%s: svg.%s has an empty box %.0f×%.0f", r.Panel, s.Class, s.W, s.H)
			}
			if s.ContentErr != "" || s.BW <= 0 || s.BH <= 0 || s.Marks == 0 {
				t.Errorf("%s: svg.%s draws nothing (bbox %.1f×%.1f, %d marks, %s)", r.Panel, s.Class, s.BW, s.BH, s.Marks, s.ContentErr)
				continue
			}
			drawn++
		}
		if drawn < want.svgs {
			t.Errorf("%s: %d SVGs with content, want at least %d", r.Panel, drawn, want.svgs)
		}
		checkAxis(t, r.Panel+" x axis", r.XLabels, want.xlabels)
		checkAxis(t, r.Panel+" y axis", r.YLabels, want.ylabels)
		checkPrefix(t, r.Panel+" bar labels", r.Labels, want.labels)
		checkPrefix(t, r.Panel+" bar values", r.Values, want.values)
		if want.rows > 0 {
			if len(r.Cells) == 0 {
				t.Errorf("%s: no table row", r.Panel)
			} else {
				checkPrefix(t, r.Panel+" first row", r.Cells[0], want.firstRow)
			}
			if len(r.Cells) < min(want.rows, (h-8-20)/17) {
				t.Errorf("%s: %d rows, want %d (or as many as fit)", r.Panel, len(r.Cells), want.rows)
			}
		}
		if want.kpis != nil && !slices.EqualFunc(r.KPIs, want.kpis, slices.Equal) {
			t.Errorf("%s: KPIs %q, want %q", r.Panel, r.KPIs, want.kpis)
		}
		for _, s := range want.text {
			if !strings.Contains(r.Text, s) {
				t.Errorf("%s: %q not shown in %q", r.Panel, s, r.Text)
			}
		}
	}
}

// checkAxis: every label shown is one of want, in order, and the first is shown (a crowded
// axis skips labels, it never invents or reorders them); want empty means no check.
func checkAxis(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		return
	}
	if len(got) == 0 || got[0] != want[0] {
		t.Errorf("%s: %q, want %q (or every k-th of it)", what, got, want)
		return
	}
	i := 0
	for _, g := range got {
		for i < len(want) && want[i] != g {
			i++
		}
		if i == len(want) {
			t.Errorf("%s: %q, want %q (or every k-th of it)", what, got, want)
			return
		}
	}
}

// checkPrefix: got starts with want, except where the panel shows fewer rows than want
// (a small widget); a label may be clipped with an ellipsis.
func checkPrefix(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		return
	}
	if len(got) == 0 {
		t.Errorf("%s: none shown, want %q", what, want)
		return
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g == w || (strings.HasSuffix(g, "…") && strings.HasPrefix(w, strings.TrimSuffix(g, "…"))) {
			continue
		}
		t.Errorf("%s: %q, want %q", what, got, want)
		return
	}
}

// cloudPanels are the panels that name accounts or principals, or count per cloud.
var cloudPanels = []godview.Panel{godview.PanelKPIs, godview.PanelActivity, godview.PanelHeatmap, godview.PanelPrincipals, godview.PanelSources}

// wantClouds is what the clouds fixture's panels must show (every cloud; with cloud=huawei,
// the Huawei ones only and no AWS account).
var wantClouds = map[string][]string{
	"kpis":       {"aws 110", "huawei 4", "tencent 2", "alibaba 5"},
	"activity":   {"huawei · 0a1b2c…", "tencent · 100012345678", "alibaba · 123456…", bA},
	"heatmap":    {"huawei · 0a1b2c…", "tencent · 100012345678", "alibaba · 123456…", bA},
	"principals": {"huawei · 9f8e7d", "alibaba · 2034567", "tencent · 10009"},
	"sources":    {"203.0.113.66 new huawei"}, // then alibaba, unless cloud=huawei
}

// checkClouds checks the measured panels of the clouds fixture: their size, nothing past
// them, and the clouds' labels in their text (the heatmap's labels are SVG text: its y labels).
func checkClouds(t *testing.T, reports []panelReport, w, h int, cloud string) {
	t.Helper()
	if len(reports) == 0 {
		t.Fatal("no .tg-panel on the page")
	}
	for _, r := range reports {
		want, ok := wantClouds[r.Panel]
		if !ok {
			continue
		}
		if int(r.W+0.5) != w || int(r.H+0.5) != h {
			t.Errorf("%s: panel is %.0f×%.0f px, want %d×%d", r.Panel, r.W, r.H, w, h)
		}
		for _, o := range r.Overflows {
			t.Errorf("%s at %d×%d: overflows its box: %s", r.Panel, w, h, o)
		}
		text := r.Text + " " + strings.Join(r.YLabels, " ")
		for _, s := range want {
			shows := strings.Contains(text, s)
			if cloud != "" && !strings.Contains(s, cloud) {
				if shows {
					t.Errorf("%s with cloud=%s: %q shown in %q", r.Panel, cloud, s, text)
				}
				continue
			}
			if !shows && !(r.Panel == "activity" && strings.Contains(text, "+1— errors")) { // narrow: the last band in "+1"
				t.Errorf("%s at %d×%d: %q not shown in %q", r.Panel, w, h, s, text)
			}
		}
	}
}

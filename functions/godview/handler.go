package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/trailguard/trailguard/shared/godview"
)

// Request is what a CloudWatch dashboard custom widget sends its function: the widget's
// params at the top level and the widgetContext (shape from "Details about custom widgets in
// CloudWatch", docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/add_custom_widget_dashboard_about.html).
type Request struct {
	Describe      bool          `json:"describe"`
	Panel         string        `json:"panel"`
	Tag           string        `json:"tag"`
	Cloud         string        `json:"cloud"` // one cloud's accounts only: aws, huawei, alibaba, tencent
	WidgetContext WidgetContext `json:"widgetContext"`
}

// WidgetContext is the part of the widget's context the panels use.
type WidgetContext struct {
	DashboardName string `json:"dashboardName"`
	WidgetID      string `json:"widgetId"`
	AccountID     string `json:"accountId"`
	Timezone      struct {
		Label           string `json:"label"` // "UTC" or "Local"
		OffsetISO       string `json:"offsetISO"`
		OffsetInMinutes int    `json:"offsetInMinutes"`
	} `json:"timezone"`
	TimeRange struct {
		Mode  string `json:"mode"`  // "relative" or "absolute"
		Start int64  `json:"start"` // epoch milliseconds
		End   int64  `json:"end"`
		Zoom  *struct {
			Start int64 `json:"start"`
			End   int64 `json:"end"`
		} `json:"zoom"`
	} `json:"timeRange"`
	Theme  string `json:"theme"` // "light" or "dark"
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Handler answers widget requests: it builds the god view of the widget's time range from
// Source and returns the panel's HTML. CloudWatch invokes it once per widget, nine times per
// refresh with the same range: what one widget read from Source serves the others for
// CacheTTL (godview.Cache), so a refresh reads the counters once per warm function instance.
type Handler struct {
	Source  godview.Source
	Options godview.Options
	Now     func() time.Time // nil: time.Now
	// CacheTTL is how long data read for one widget serves the next; 0 means
	// godview.DefaultCacheTTL, negative: no cache.
	CacheTTL time.Duration

	once sync.Once
	src  godview.Source
}

// source is Source behind the cache.
func (h *Handler) source() godview.Source {
	h.once.Do(func() {
		h.src = h.Source
		if h.CacheTTL >= 0 {
			h.src = &godview.Cache{Source: h.Source, TTL: h.CacheTTL, Now: h.Now}
		}
	})
	return h.src
}

// describe is what the dashboard's "describe" call shows in the widget's documentation.
const describe = `## trailguard god view

Params: {"panel": "kpis|activity|heatmap|principals|sources|events|errors|alerts|changes", "tag": "key=value", "cloud": "aws|huawei|alibaba|tencent"}

Accounts of other clouds than AWS are labelled with their cloud ("huawei · 0a1b2c…"); the overview shows the events per cloud against the previous period; "cloud" shows one cloud's accounts only.`

// Handle returns the widget's HTML (the Lambda runtime sends it as a JSON string).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (string, error) {
	var req Request
	if err := json.Unmarshal(raw, &req); err != nil {
		return "", fmt.Errorf("widget request: %w", err)
	}
	if req.Describe {
		return describe, nil
	}
	panel := godview.Panel(req.Panel)
	if _, ok := godview.Titles[panel]; !ok {
		return "", fmt.Errorf("widget request: panel %q: want one of %v", req.Panel, godview.Panels)
	}
	r := h.rangeOf(req.WidgetContext)
	opts := h.Options
	opts.Tag, opts.Cloud = req.Tag, req.Cloud
	m, err := godview.Build(ctx, h.source(), r, opts)
	if err != nil {
		return "", err
	}
	wc := req.WidgetContext
	v := godview.View{Width: wc.Width, Height: wc.Height, Dark: wc.Theme == "dark", Loc: time.UTC}
	if wc.Timezone.Label != "" && wc.Timezone.Label != "UTC" {
		v.Loc = time.FixedZone(wc.Timezone.OffsetISO, wc.Timezone.OffsetInMinutes*60)
	}
	var b bytes.Buffer
	if err := godview.Render(&b, &m, panel, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// rangeOf is the widget's time range (the zoomed one when the viewer zoomed), in whole hours;
// without one, the last 24 hours.
func (h *Handler) rangeOf(wc WidgetContext) godview.Range {
	tr := wc.TimeRange
	start, end := tr.Start, tr.End
	if tr.Zoom != nil && tr.Zoom.End > tr.Zoom.Start {
		start, end = tr.Zoom.Start, tr.Zoom.End
	}
	if end <= start {
		now := time.Now()
		if h.Now != nil {
			now = h.Now()
		}
		return godview.HourRange(now.Add(-24*time.Hour), now)
	}
	return godview.HourRange(time.UnixMilli(start), time.UnixMilli(end))
}

package godview

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
)

// The clouds fixture: the fixture's AWS accounts plus a Huawei account and a Tencent one, as
// cloudpoll counts them (Key.Cloud set). Answers, range 10:00-14:00, previous period
// 06:00-10:00:
//   - aws: 112 events (12 failed) in accounts A and B, 24 before in A and B (fixture);
//   - huawei: 3 sign-ins and 1 failed one by hwUser from 203.0.113.66 at 10:00, 1 by "bob"
//     at 11:00: 5 events, 1 failed; 2 before (09:00);
//   - tencent: 3 calls by "bob" from 203.0.113.5 (bob's AWS address too) at 12:00; none before.
//
// Busiest principals: alice 70, carol 32, bob (AWS) 10, hwUser 4, bob (Tencent) 3, bob
// (Huawei) 1: one name in two clouds is two principals.
const (
	hwAcct = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	hwUser = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	tcAcct = "100012345678" // a Tencent UIN: 12 digits, like an AWS account
)

func cloudRow(at time.Time, cloud, account, principal, source, event, errorCode, region string, n int64) counters.Row {
	return counters.Row{Key: counters.Key{Hour: at.UTC().Format(counters.HourLayout), Account: account, Principal: principal,
		SourceIP: source, EventName: event, ErrorCode: errorCode, Region: region, Cloud: cloud}, Count: n}
}

func cloudFixture() *Memory {
	m := fixture()
	at := func(h int) time.Time { return fixtureRange.From.Add(time.Duration(h) * time.Hour) }
	m.Rows = append(m.Rows,
		cloudRow(at(-1), "huawei", hwAcct, hwUser, "203.0.113.66", "login", "", "", 2),
		cloudRow(at(0), "huawei", hwAcct, hwUser, "203.0.113.66", "login", "", "", 3),
		cloudRow(at(0), "huawei", hwAcct, hwUser, "203.0.113.66", "loginFailed", "loginFailed", "", 1),
		cloudRow(at(1), "huawei", hwAcct, "bob", "198.51.100.23", "logout", "", "", 1),
		cloudRow(at(2), "tencent", tcAcct, "bob", "203.0.113.5", "DescribeInstances", "", "ap-guangzhou", 3),
	)
	return m
}

func buildClouds(t *testing.T, opts Options) Model {
	t.Helper()
	if opts.SilentHours == 0 {
		opts.SilentHours = 2
	}
	m, err := Build(context.Background(), cloudFixture(), fixtureRange, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuildClouds(t *testing.T) {
	aws := CloudStat{Cloud: CloudAWS, Events: 112, Prev: 24, Errors: 12, Accounts: 2, PrevAccounts: 2}
	huawei := CloudStat{Cloud: "huawei", Events: 5, Prev: 2, Errors: 1, Accounts: 1, PrevAccounts: 1}
	tencent := CloudStat{Cloud: "tencent", Events: 3, Accounts: 1}
	for _, tc := range []struct {
		name       string
		opts       Options
		clouds     []CloudStat
		events     [2]float64 // the events KPI: value, previous
		heatRows   []string
		silent     []string
		principals []string // Label(cloud, principal), busiest first
	}{
		{"every cloud", Options{}, []CloudStat{aws, huawei, tencent}, [2]float64{120, 26},
			[]string{acctA, acctB, hwAcct, tcAcct, acctC}, []string{hwAcct, acctC},
			[]string{alice, carol, bob, "huawei · " + hwUser, "tencent · bob", "huawei · bob"}},
		{"aws", Options{Cloud: "aws"}, []CloudStat{aws}, [2]float64{112, 24},
			[]string{acctA, acctB, acctC}, []string{acctC}, []string{alice, carol, bob}},
		{"huawei, in any case; expected accounts are AWS's", Options{Cloud: " Huawei", Accounts: []string{"444444444444"}},
			[]CloudStat{huawei}, [2]float64{5, 2}, []string{hwAcct}, []string{hwAcct}, []string{"huawei · " + hwUser, "huawei · bob"}},
		{"tencent", Options{Cloud: "tencent"}, []CloudStat{tencent}, [2]float64{3, 0}, []string{tcAcct}, nil, []string{"tencent · bob"}},
		{"alibaba: nothing counted", Options{Cloud: "alibaba"}, nil, [2]float64{0, 0}, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := buildClouds(t, tc.opts)
			if !reflect.DeepEqual(m.Clouds, tc.clouds) {
				t.Errorf("clouds %+v, want %+v", m.Clouds, tc.clouds)
			}
			if k := m.KPIs[0]; k.Value != tc.events[0] || k.Prev != tc.events[1] {
				t.Errorf("events KPI %v vs %v, want %v", k.Value, k.Prev, tc.events)
			}
			var rows []string
			for _, r := range m.Heatmap.Rows {
				rows = append(rows, r.Account)
			}
			if !reflect.DeepEqual(rows, tc.heatRows) {
				t.Errorf("heatmap rows %v, want %v", rows, tc.heatRows)
			}
			if !reflect.DeepEqual(m.Silent, tc.silent) {
				t.Errorf("silent %v, want %v", m.Silent, tc.silent)
			}
			var ps []string
			for _, p := range m.Principals {
				ps = append(ps, Label(p.Cloud, p.Principal))
			}
			if !reflect.DeepEqual(ps, tc.principals) {
				t.Errorf("principals %q, want %q", ps, tc.principals)
			}
			// The accounts' clouds are known whatever the filter.
			if want := map[string]string{hwAcct: "huawei", tcAcct: "tencent"}; !reflect.DeepEqual(m.AccountClouds, want) {
				t.Errorf("account clouds %v, want %v", m.AccountClouds, want)
			}
		})
	}
}

func TestBuildCloudSources(t *testing.T) {
	m := buildClouds(t, Options{})
	want := map[string][]string{"192.0.2.77": nil, "203.0.113.5": {"aws", "tencent"}, "198.51.100.1": nil,
		"203.0.113.66": {"huawei"}, "198.51.100.23": {"huawei"}}
	got := map[string][]string{}
	for _, s := range m.Sources {
		got[s.Source] = s.Clouds
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sources' clouds %v, want %v", got, want)
	}
	for _, s := range m.Sources {
		if s.Source == "203.0.113.5" && (s.Count != 45 || s.Accounts != 2) {
			t.Errorf("203.0.113.5: %d calls in %d accounts, want 45 in 2 (bob's 10 and carol's 32 in B, bob's 3 in Tencent)", s.Count, s.Accounts)
		}
	}
}

func TestBuildUnknownCloud(t *testing.T) {
	if _, err := Build(context.Background(), cloudFixture(), fixtureRange, Options{Cloud: "azure"}); err == nil ||
		!strings.Contains(err.Error(), "aws, huawei, alibaba, tencent") {
		t.Errorf("cloud azure: error %v, want the clouds named", err)
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct{ cloud, name, label, short string }{
		{"", "111111111111", "111111111111", "111111111111"},
		{"aws", "111111111111", "111111111111", "111111111111"},
		{"tencent", "100012345678", "tencent · 100012345678", "tencent · 100012345678"},
		{"huawei", hwAcct, "huawei · " + hwAcct, "huawei · 0a1b2c…"},
		{"", hwAcct, hwAcct, "0a1b2c…"},
	} {
		if got := Label(tc.cloud, tc.name); got != tc.label {
			t.Errorf("Label(%q, %q) = %q, want %q", tc.cloud, tc.name, got, tc.label)
		}
		if got := ShortLabel(tc.cloud, tc.name); got != tc.short {
			t.Errorf("ShortLabel(%q, %q) = %q, want %q", tc.cloud, tc.name, got, tc.short)
		}
	}
}

// TestRenderClouds: every account of another cloud is labelled with it, and the overview
// shows the events per cloud against the previous period.
func TestRenderClouds(t *testing.T) {
	m := buildClouds(t, Options{})
	huawei := buildClouds(t, Options{Cloud: "huawei"})
	aws := build(t, Options{})
	for _, tc := range []struct {
		name    string
		m       *Model
		panel   Panel
		want    []string
		notWant []string
	}{
		{"kpis", &m, PanelKPIs, []string{`data-cloud="aws"`, `>aws</span> <b class="tg-cloud-events">112</b> <span style="color:#d13212">▲ 88</span>`,
			`>huawei</span> <b class="tg-cloud-events">5</b> <span style="color:#d13212">▲ 3</span>`, `>tencent</span> <b class="tg-cloud-events">3</b>`,
			"silent 2h: huawei · " + hwAcct + ", 333333333333"}, nil},
		{"kpis filtered", &huawei, PanelKPIs, []string{"cloud huawei:", `data-cloud="huawei"`}, []string{`data-cloud="aws"`}},
		{"kpis of AWS alone: no per-cloud line", &aws, PanelKPIs, nil, []string{"tg-clouds"}},
		{"activity", &m, PanelActivity, []string{"> huawei · 0a1b2c…</span>", "> tencent · 100012345678</span>", `title="huawei · ` + hwAcct + `"`}, nil},
		{"heatmap", &m, PanelHeatmap, []string{"huawei · 0a1b2c…</text>", "tencent · 100012345678</text>", ">111111111111</text>"}, nil},
		{"principals", &m, PanelPrincipals, []string{">tencent · bob<", ">huawei · bob<", ">huawei · " + hwUser + "<"}, nil},
		{"sources", &m, PanelSources, []string{`<span class="tg-cloud" style="color:#5f6b7a">aws tencent</span>`, `>huawei</span>`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tc.m, tc.panel, View{Width: 1200, Height: 400}); err != nil {
				t.Fatal(err)
			}
			s := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("%q missing from %s", w, s)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(s, w) {
					t.Errorf("%q in %s", w, s)
				}
			}
		})
	}
}

package counters

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestActivityItemsCountRegionsInside: the counters that differ only in their region are one
// item counting each region; a region that cannot name an attribute, and the regions past
// maxItemRegions, keep the region in their key, an item each; every count is written once.
func TestActivityItemsCountRegionsInside(t *testing.T) {
	base := Key{Hour: "2026-11-20T08", Account: "111122223333", Principal: "arn:aws:iam::111122223333:user/scanner",
		SourceIP: "203.0.113.9", EventName: "DescribeInstances", EventType: "AwsApiCall", EventSource: "ec2.amazonaws.com"}
	many := make([]string, maxItemRegions+3)
	for i := range many {
		many[i] = fmt.Sprintf("xx-test-%d", 100+i)
	}
	for _, tt := range []struct {
		name    string
		regions []string
		// want: items written, of them with the region in their key
		items, keyed int
	}{
		{"one region", []string{"us-east-1"}, 1, 0},
		{"a region sweep", []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"}, 1, 0},
		{"no region and a region", []string{"", "eu-west-1"}, 1, 0},
		{"a region no attribute may be named after", []string{"us-east-1", "US East #1", "-", strings.Repeat("a", maxRegionName+1)}, 4, 3},
		{"more regions than an item takes", many, 4, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tl := NewTally()
			want := map[string]int64{}
			for i, r := range tt.regions {
				k := base
				k.Region = r
				for range i + 1 {
					tl.Add(&k)
				}
				want[r] += int64(i + 1)
			}
			writes, _ := plan(tl, planCounts)
			items, keyed := 0, 0
			got := map[string]int64{}
			for w := range writes {
				if !strings.HasPrefix(w.pk, kindActivity+"#") {
					continue
				}
				items++
				if w.regions == nil {
					keyed++
					region := ""
					for _, a := range w.attrs {
						if a.name == "region" {
							region = a.value
						}
					}
					got[region] += w.inc
					continue
				}
				var sum int64
				for _, r := range w.regions {
					if !regionNameable(r.region) {
						t.Errorf("region %q counted inside an item", r.region)
					}
					got[r.region] += r.n
					sum += r.n
				}
				if sum != w.inc {
					t.Errorf("item %s: regions sum to %d, count %d", w.sk, sum, w.inc)
				}
			}
			if items != tt.items || keyed != tt.keyed {
				t.Errorf("%d items, %d with the region in their key; want %d, %d", items, keyed, tt.items, tt.keyed)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("per region %v, want %v", got, want)
			}
		})
	}
}

// TestItemRows: an item read from the table is one row per region it counts; read through
// an index that projects only its regions set, one row whose region is the set's only one, or
// empty; an item with its region in the key (or of the layout before), one row of it.
func TestItemRows(t *testing.T) {
	k := Key{Hour: "2026-11-20T08", Account: "1", Principal: "p", EventName: "GetObject"}
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	ss := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
	for _, tt := range []struct {
		name    string
		region  string // the item's region attribute
		item    map[string]types.AttributeValue
		regions []string
		counts  []int64
	}{
		{"counts per region", "", map[string]types.AttributeValue{"r_us-east-1": n("3"), "r_eu-west-1": n("4"), "r_": n("1"),
			attrRegions: ss("us-east-1", "eu-west-1", "-"), "resource_type": &types.AttributeValueMemberS{Value: "r"}}, []string{"", "eu-west-1", "us-east-1"}, []int64{1, 4, 3}},
		{"index: one region", "", map[string]types.AttributeValue{attrRegions: ss("eu-west-1")}, []string{"eu-west-1"}, []int64{8}},
		{"index: several regions", "", map[string]types.AttributeValue{attrRegions: ss("eu-west-1", "us-east-1")}, []string{""}, []int64{8}},
		{"index: no region", "", map[string]types.AttributeValue{attrRegions: ss("-")}, []string{""}, []int64{8}},
		{"region in the key", "US East #1", map[string]types.AttributeValue{}, []string{"US East #1"}, []int64{8}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rk := k
			rk.Region = tt.region
			rows := itemRows(rk, 8, tt.item)
			if len(rows) != len(tt.regions) {
				t.Fatalf("rows %+v, want regions %q", rows, tt.regions)
			}
			for i, r := range rows {
				want := k
				want.Region = tt.regions[i]
				if r.Key != want || r.Count != tt.counts[i] {
					t.Errorf("row %d: %+v, want region %q count %d", i, r, tt.regions[i], tt.counts[i])
				}
			}
		})
	}
}

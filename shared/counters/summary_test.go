package counters

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestServiceOf(t *testing.T) {
	for _, tt := range []struct{ source, rtype, want string }{
		{"s3.amazonaws.com", "AWS::S3::Bucket", "s3"},
		{"signin.amazonaws.com", "", "signin"},
		{"ecs.aliyuncs.com", "", "ecs"},
		{"", "AWS::EC2::Instance", "EC2"},
		{"", "", "(none)"},
		{"", "Odd", "Odd"},
	} {
		if got := ServiceOf(tt.source, tt.rtype); got != tt.want {
			t.Errorf("ServiceOf(%q, %q) = %q, want %q", tt.source, tt.rtype, got, tt.want)
		}
	}
}

// TestHashSetDistinct: unions of small sets count exactly; a saturated set keeps MaxHashes
// hashes and its size, and a union of saturated sets is estimated within 10%; the JSON form
// reads back the same set.
func TestHashSetDistinct(t *testing.T) {
	set := func(prefix string, n int) HashSet {
		m := map[uint32]struct{}{}
		for i := range n {
			m[Hash(fmt.Sprint(prefix, i))] = struct{}{}
		}
		return newHashSet(m, MaxHashes)
	}
	for _, tt := range []struct {
		name string
		sets []HashSet
		want int
	}{
		{"overlapping small sets", []HashSet{set("a", 300), set("a", 500), set("b", 20)}, 520},
		{"one saturated", []HashSet{set("a", 5000)}, 5000},
		{"saturated union", []HashSet{set("a", 5000), set("a", 8000), set("b", 3000)}, 11000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Distinct(slices.Values(tt.sets))
			if math.Abs(float64(got-tt.want)) > 0.1*float64(tt.want) {
				t.Errorf("%d distinct, want %d", got, tt.want)
			}
			for _, s := range tt.sets {
				if len(s.H) > MaxHashes || s.Size() < len(s.H) {
					t.Errorf("set of %d kept %d hashes", s.Size(), len(s.H))
				}
				b, err := json.Marshal(s)
				if err != nil {
					t.Fatal(err)
				}
				var back HashSet
				if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back.H, s.H) || back.N != s.N {
					t.Errorf("JSON round trip of a set of %d: %v", s.Size(), err)
				}
			}
		})
	}
	if got := Distinct(slices.Values([]HashSet{set("a", 300), set("a", 300)})); got != 300 {
		t.Errorf("exact union %d, want 300", got)
	}
}

// TestSummaryBounded: an account-hour of thousands of principals and sources summarizes into
// lists of SummaryTop and sets of MaxHashes, with exact totals, and a small item.
func TestSummaryBounded(t *testing.T) {
	var rows []Row
	for i := range 5000 {
		rows = append(rows, Row{Key: Key{Hour: "2026-11-20T08", Account: "1", Principal: fmt.Sprint("p", i%2000),
			SourceIP: fmt.Sprint("192.0.", i/250, ".", i%250), EventName: fmt.Sprint("E", i%70), ErrorCode: []string{"", "AccessDenied"}[i%2],
			Region: []string{"us-east-1", "eu-west-1"}[i%2], EventSource: "s3.amazonaws.com"}, Count: int64(1 + i%3)})
	}
	s := Summarize(rows, true)
	if len(s) != 1 {
		t.Fatalf("%d summaries, want 1", len(s))
	}
	d := s[0].Detail
	if len(d.Principals) != SummaryTop || len(d.Sources) != SummaryTop || len(d.Events) != SummaryTop || len(s[0].Principals.H) != MaxHashes {
		t.Errorf("lists %d %d %d, principal hashes %d: want %d and %d", len(d.Principals), len(d.Sources), len(d.Events), len(s[0].Principals.H), SummaryTop, MaxHashes)
	}
	if s[0].Principals.Size() != 2000 || s[0].Sources.Size() != 5000 || s[0].Count != 9999 || s[0].Denied != 5000 || len(s[0].Regions) != 2 {
		t.Errorf("summary %d principals, %d sources, %d calls, %d denied, %d regions", s[0].Principals.Size(), s[0].Sources.Size(), s[0].Count, s[0].Denied, len(s[0].Regions))
	}
	totals, _ := deflateJSON(Summary{Principals: s[0].Principals, Sources: s[0].Sources, Regions: s[0].Regions})
	lists, _ := deflateJSON(d)
	if len(totals) > 10<<10 || len(lists) > 10<<10 {
		t.Errorf("items of %d and %d bytes, want under 10 KB each", len(totals), len(lists))
	}
}

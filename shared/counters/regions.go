package counters

import (
	"cmp"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Regions in the table. A principal making the same call from the same source in several
// regions within an hour (a scanner or an automation sweeping every region: common) is one
// counter per region in a Tally, in the stages and in the local stores, which cost nothing
// per counter; but a DynamoDB item is billed per write, so an activity counter item leaves the
// region out of its key and counts its regions inside: per region one number attribute
// (regionAttr: "r_" and the region, added to by every merge), and the set of its regions
// (attrRegions, a string set, for an index that projects named attributes only). Reads give
// one Row per region of an item (itemRows), so the rows of the table are the rows of a
// Tally, as the local stores give them.
const (
	// attrRegions is the string set of the regions an activity counter item was counted in
	// (the empty region as "-": a set holds no empty string).
	attrRegions = "regions"
	// regionPrefix starts the name of an item's count of one region.
	regionPrefix = "r_"
	// maxRegionName is the longest region that names an attribute; every cloud's region
	// names ("ap-southeast-2", "cn-hangzhou", "us-central1") are far shorter.
	maxRegionName = 32
	// maxItemRegions bounds the regions one merge adds to an item (a cloud has a few dozen):
	// the rest, in order, get an item each, so no item nears DynamoDB's 400 KB whatever the
	// records say.
	maxItemRegions = 64
)

// regionCount is one region's count in an activity counter item.
type regionCount struct {
	region string
	n      int64
}

// regionNameable says whether a region is counted inside an item (regionAttr): empty, or
// at most maxRegionName of a-z, 0-9 and '-' (not "-" alone, the empty region's spelling in
// attrRegions). Another region (no record CloudTrail writes has one) keeps the region in the
// item's key, as every item did before.
func regionNameable(r string) bool {
	if r == "-" || len(r) > maxRegionName {
		return false
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// regionAttr is the name of an item's count of region r.
func regionAttr(r string) string { return regionPrefix + r }

// regionMember is r as an element of attrRegions.
func regionMember(r string) string { return cmp.Or(r, "-") }

// activityItem is one activity counter item a merge writes: its key (Region empty, unless
// regions is nil: an item per region), its count and, per region, how much of it.
type activityItem struct {
	key     Key
	count   int64
	regions []regionCount
}

// activityItems groups counters into the items they are written to: the counters that differ
// only in their region, one item. It holds the counters (their keys are views of the tally's
// bytes) sorted, so memory grows with the tally's size, as the merge's does.
func activityItems(counters iter.Seq2[Key, int64]) iter.Seq[activityItem] {
	return func(yield func(activityItem) bool) {
		var rows []Row
		for k, n := range counters {
			rows = append(rows, Row{Key: k, Count: n})
		}
		slices.SortFunc(rows, func(a, b Row) int {
			return cmp.Or(compareSansRegion(&a.Key, &b.Key), cmp.Compare(a.Region, b.Region))
		})
		for i := 0; i < len(rows); {
			j := i + 1
			for j < len(rows) && compareSansRegion(&rows[i].Key, &rows[j].Key) == 0 {
				j++
			}
			it := activityItem{key: rows[i].Key}
			it.key.Region = ""
			for _, r := range rows[i:j] {
				if !regionNameable(r.Region) || len(it.regions) == maxItemRegions {
					if !yield(activityItem{key: r.Key, count: r.Count}) {
						return
					}
					continue
				}
				it.regions = append(it.regions, regionCount{r.Region, r.Count})
				it.count += r.Count
			}
			if it.regions != nil && !yield(it) {
				return
			}
			i = j
		}
	}
}

// regionKeyedItems is an item per counter, its region in its key.
func regionKeyedItems(counters iter.Seq2[Key, int64]) iter.Seq[activityItem] {
	return func(yield func(activityItem) bool) {
		for k, n := range counters {
			if !yield(activityItem{key: k, count: n}) {
				return
			}
		}
	}
}

func compareSansRegion(a, b *Key) int {
	return cmp.Or(cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Account, b.Account), cmp.Compare(a.Principal, b.Principal),
		cmp.Compare(a.SourceIP, b.SourceIP), cmp.Compare(a.EventName, b.EventName), cmp.Compare(a.ResourceType, b.ResourceType),
		cmp.Compare(a.ErrorCode, b.ErrorCode), cmp.Compare(a.EventType, b.EventType),
		cmp.Compare(a.EventSource, b.EventSource), cmp.Compare(a.Cloud, b.Cloud))
}

// itemRows is an activity counter item as rows: one per region it counts (regionAttr), by
// region. An item read through an index that projects its regions set but not the counts
// is one row, its Region the set's only region, or empty when the set has several; an item
// whose key holds its region (regionNameable) is one row with its region attribute.
func itemRows(k Key, count int64, item map[string]types.AttributeValue) []Row {
	var rows []Row
	for name, v := range item {
		r, ok := strings.CutPrefix(name, regionPrefix)
		n, isNum := v.(*types.AttributeValueMemberN)
		if !ok || !isNum {
			continue
		}
		c, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			continue
		}
		rk := k
		rk.Region = r
		rows = append(rows, Row{Key: rk, Count: c})
	}
	if rows != nil {
		slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.Region, b.Region) })
		return rows
	}
	if set, ok := item[attrRegions].(*types.AttributeValueMemberSS); ok {
		k.Region = ""
		if len(set.Value) == 1 && set.Value[0] != "-" {
			k.Region = set.Value[0]
		}
	}
	return []Row{{Key: k, Count: count}}
}

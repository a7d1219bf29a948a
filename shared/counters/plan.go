package counters

import (
	"fmt"
	"iter"
	"time"
)

// Item kinds, the first part of every partition key.
const (
	kindActivity  = "A" // one counter: account × hour × (principal, source, event, resource type, error, event type, event source, cloud), counted per region
	kindPrincipal = "P" // one principal's total in one hour, for "busiest principals of a day"
	kindRule      = "R" // a threshold rule's counter: rule × hour × subject
)

// Attribute names of counter items.
const (
	attrPK      = "pk"
	attrSK      = "sk"
	attrIPPK    = "ip_pk"  // BySourceIP index partition key: source × hour
	attrIPSK    = "ip_sk"  // BySourceIP index sort key
	attrDayPK   = "day_pk" // ByAccountDay index partition key: account × day (principal totals only)
	attrCount   = "count"  // ByAccountDay index sort key, and every item's count
	attrExpires = "expires_at"
)

// Index names of the counters table (template.yaml defines them).
const (
	IndexBySourceIP   = "BySourceIP"
	IndexByAccountDay = "ByAccountDay"
)

// write is one conditional increment of one counter item.
type write struct {
	pk, sk string
	inc    int64
	hour   string
	attrs  []attr // values stored with the count (dimensions, index keys)
	// regions are added to the item's per-region counts (regionAttr) and its regions set: an
	// activity counter item of the merged layout, whose key leaves the region out. nil for
	// every other item (an activity counter whose region is in its key: regionNameable).
	regions []regionCount
	rule    int // index into the file's rule counters, or -1
}

type attr struct{ name, value string }

// What a plan writes: the activity counters and principal totals, the rule counters, or both.
// planRegionKeys: every activity counter its own item, the region in its key, as the local
// stores keep them (Memory), instead of one item counting every region of a counter.
const (
	planCounts = 1 << iota
	planRules
	planRegionKeys
	planAll = planCounts | planRules
)

// plan is the writes that apply a tally: one per distinct counter, one per principal and hour,
// one per rule counter; never one per record. They are built one at a time as the caller takes
// them, so applying a file holds its tally and the writes in flight, never all of its writes
// (which take several times the tally's memory). what chooses the kinds written.
func plan(t *Tally, what int) (iter.Seq[*write], []RuleCount) {
	var rules []RuleCount
	if what&planRules != 0 {
		rules = t.Rules()
	}
	writes := func(yield func(*write) bool) {
		type principalHour struct{ account, hour, principal string }
		totals := map[principalHour]int64{}
		counters := t.counters()
		if what&planCounts == 0 {
			counters = func(func(Key, int64) bool) {}
		}
		items := activityItems(counters)
		if what&planRegionKeys != 0 {
			items = regionKeyedItems(counters)
		}
		for it := range items {
			k := &it.key
			totals[principalHour{k.Account, k.Hour, k.Principal}] += it.count
			attrs := []attr{
				{"hour", k.Hour}, {"account", k.Account}, {"principal", k.Principal}, {"source_ip", k.SourceIP},
				{"event_name", k.EventName}, {"resource_type", k.ResourceType}, {"error_code", k.ErrorCode},
				{"event_type", k.EventType}, {"event_source", k.EventSource}, {"cloud", k.Cloud},
				{attrIPPK, sourcePK(k.SourceIP, k.Hour)},
			}
			withRegion := it.regions == nil
			if withRegion {
				attrs = append(attrs, attr{"region", k.Region})
			}
			attrs = append(attrs, attr{attrIPSK, sourceSK(k, withRegion)})
			if !yield(&write{
				pk: activityPK(k.Account, k.Hour), sk: activitySK(k, withRegion), inc: it.count, hour: k.Hour, rule: -1,
				attrs: attrs, regions: it.regions,
			}) {
				return
			}
		}
		for ph, count := range totals {
			if !yield(&write{
				pk: principalPK(ph.account, ph.hour), sk: joinKey(maxSK, ph.principal), inc: count, hour: ph.hour, rule: -1,
				attrs: []attr{
					{"hour", ph.hour}, {"account", ph.account}, {"principal", ph.principal},
					{attrDayPK, dayPK(ph.account, ph.hour[:min(10, len(ph.hour))])},
				},
			}) {
				return
			}
		}
		for i, rc := range rules {
			if !yield(&write{
				pk: joinKey(maxPK, kindRule, rc.Rule, rc.Hour), sk: joinKey(maxSK, rc.Subject), inc: rc.Count, hour: rc.Hour, rule: i,
				attrs: []attr{{"rule", rc.Rule}, {"hour", rc.Hour}, {"subject", rc.Subject}, {"account", rc.Account}},
			}) {
				return
			}
		}
	}
	return writes, rules
}

func activityPK(account, hour string) string { return joinKey(maxPK, kindActivity, account, hour) }

// activitySK is an activity counter's sort key: without the region (the item counts every
// region it was seen in, regionAttr), or with it (an item of the layout before, or of a
// region that cannot name an attribute). The two never collide: they have 8 and 9 parts.
func activitySK(k *Key, withRegion bool) string {
	if withRegion {
		return joinKey(maxSK, k.Principal, k.SourceIP, k.EventName, k.ResourceType, k.ErrorCode, k.EventType,
			k.Region, k.EventSource, k.Cloud)
	}
	return joinKey(maxSK, k.Principal, k.SourceIP, k.EventName, k.ResourceType, k.ErrorCode, k.EventType,
		k.EventSource, k.Cloud)
}

// sourceSK is an activity counter's BySourceIP sort key, with or without the region as its
// sort key is.
func sourceSK(k *Key, withRegion bool) string {
	if withRegion {
		return joinKey(maxSK, k.Account, k.Principal, k.EventName, k.ResourceType, k.ErrorCode, k.EventType,
			k.Region, k.EventSource, k.Cloud)
	}
	return joinKey(maxSK, k.Account, k.Principal, k.EventName, k.ResourceType, k.ErrorCode, k.EventType,
		k.EventSource, k.Cloud)
}

func principalPK(account, hour string) string { return joinKey(maxPK, kindPrincipal, account, hour) }

func sourcePK(ip, hour string) string { return joinKey(maxPK, "IP", ip, hour) }

func dayPK(account, day string) string { return joinKey(maxPK, account, day) }

// expiry is when an hour's counters may go: the end of the hour plus the retention.
func expiry(hour string, retention time.Duration) (int64, error) {
	t, err := time.Parse(HourLayout, hour)
	if err != nil {
		return 0, fmt.Errorf("counter hour %q: %w", hour, err)
	}
	return t.Add(time.Hour + retention).Unix(), nil
}

// Applied reports what applying one file did.
type Applied struct {
	Written int          // counter items this file incremented now
	Already int          // items it had incremented before (a redelivery, or a retry after a partial failure)
	Rules   []RuleResult // every rule counter of the file, with its totals around the file's increment
}

// RuleResult is a rule counter's total before and after this file's increment. They are the
// same on every delivery of the file, so a crossing (Before < T <= After) is seen again on a
// retry, and only for the file that made it.
type RuleResult struct {
	RuleCount
	Before, After int64
}

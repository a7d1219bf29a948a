package counters

import (
	"fmt"
	"time"
)

// Item kinds, the first part of every partition key.
const (
	kindActivity  = "A" // one counter: account × hour × (principal, source, event, resource type, error, event type)
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
	rule   int    // index into the file's rule counters, or -1
}

type attr struct{ name, value string }

// plan lists the writes that apply a tally: one per distinct counter, one per principal and
// hour, one per rule counter. Never one per record.
func plan(t *Tally) ([]write, []RuleCount) {
	rows := t.Rows()
	rules := t.Rules()
	out := make([]write, 0, len(rows)+len(rules))
	type principalHour struct{ account, hour, principal string }
	totals := map[principalHour]int64{}
	var order []principalHour
	for _, r := range rows {
		out = append(out, write{
			pk: activityPK(r.Account, r.Hour), sk: activitySK(&r.Key), inc: r.Count, hour: r.Hour, rule: -1,
			attrs: []attr{
				{"hour", r.Hour}, {"account", r.Account}, {"principal", r.Principal}, {"source_ip", r.SourceIP},
				{"event_name", r.EventName}, {"resource_type", r.ResourceType}, {"error_code", r.ErrorCode},
				{"event_type", r.EventType},
				{attrIPPK, sourcePK(r.SourceIP, r.Hour)},
				{attrIPSK, joinKey(maxSK, r.Account, r.Principal, r.EventName, r.ResourceType, r.ErrorCode, r.EventType)},
			},
		})
		ph := principalHour{r.Account, r.Hour, r.Principal}
		if _, seen := totals[ph]; !seen {
			order = append(order, ph)
		}
		totals[ph] += r.Count
	}
	for _, ph := range order {
		out = append(out, write{
			pk: principalPK(ph.account, ph.hour), sk: joinKey(maxSK, ph.principal), inc: totals[ph], hour: ph.hour, rule: -1,
			attrs: []attr{
				{"hour", ph.hour}, {"account", ph.account}, {"principal", ph.principal},
				{attrDayPK, dayPK(ph.account, ph.hour[:min(10, len(ph.hour))])},
			},
		})
	}
	for i, rc := range rules {
		out = append(out, write{
			pk: joinKey(maxPK, kindRule, rc.Rule, rc.Hour), sk: joinKey(maxSK, rc.Subject), inc: rc.Count, hour: rc.Hour, rule: i,
			attrs: []attr{{"rule", rc.Rule}, {"hour", rc.Hour}, {"subject", rc.Subject}, {"account", rc.Account}},
		})
	}
	return out, rules
}

func activityPK(account, hour string) string { return joinKey(maxPK, kindActivity, account, hour) }

func activitySK(k *Key) string {
	return joinKey(maxSK, k.Principal, k.SourceIP, k.EventName, k.ResourceType, k.ErrorCode, k.EventType)
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

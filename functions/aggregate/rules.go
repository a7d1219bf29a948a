package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/trail"
)

// Threshold rules: alert kinds, and the rule names of their counters.
const (
	KindFailedSignIns = "failed-sign-ins" // per source IP per hour
	KindAccessDenied  = "access-denied"   // per principal per hour
)

// Rules are the threshold rules on the hourly counters. A threshold of 0 switches a rule off.
type Rules struct {
	FailedSignIns int
	AccessDenied  int
	DeniedCodes   map[string]bool // errorCode values that count as access denied
}

// count adds one record to the rule counters it belongs to.
func (r *Rules) count(t *counters.Tally, rec *counters.Record, raw []byte) {
	if r.AccessDenied > 0 && rec.ErrorCode != "" && r.DeniedCodes[rec.ErrorCode] {
		t.AddRule(KindAccessDenied, rec.Hour, rec.Principal, rec.Account)
	}
	if r.FailedSignIns > 0 && rec.EventSource == "signin.amazonaws.com" && failedSignIn(raw) {
		t.AddRule(KindFailedSignIns, rec.Hour, rec.SourceIP, rec.Account)
	}
}

// failedSignIn decodes a sign-in record in full (they are few) and applies trail's rule:
// console sign-ins say Failure in responseElements, Identity Center ones in
// serviceEventDetails. A record whose sign-in fields do not decode is not counted as failed.
func failedSignIn(raw []byte) bool {
	rec, err := trail.DecodeRecord(raw)
	if err != nil {
		return false
	}
	si, err := rec.SignIn()
	return err == nil && si.Failed()
}

// crossings are the alerts of the rule counters this file made cross their threshold
// (Before < T <= After). Totals around a file's increment are the same on every delivery of
// the file, so a retried file raises the same alerts (deduplicated by the alert layer through
// their deterministic event IDs) and later files raise none.
func (r *Rules) crossings(file counters.FileID, results []counters.RuleResult) []alert.Alert {
	var out []alert.Alert
	for _, res := range results {
		threshold := r.FailedSignIns
		if res.Rule == KindAccessDenied {
			threshold = r.AccessDenied
		}
		if threshold <= 0 || res.Before >= int64(threshold) || res.After < int64(threshold) {
			continue
		}
		out = append(out, r.alert(file, res, threshold))
	}
	return out
}

func (r *Rules) alert(file counters.FileID, res counters.RuleResult, threshold int) alert.Alert {
	hour, _ := time.Parse(counters.HourLayout, res.Hour)
	a := alert.Alert{
		Kind:      res.Rule,
		Account:   res.Account,
		EventID:   res.Hour + "#" + res.Subject, // one alert per counter: the same on every retry
		EventTime: hour,
		Details: []alert.Detail{
			{Label: "Hour (UTC)", Value: res.Hour + ":00"},
			{Label: "Count", Value: fmt.Sprintf("%d in the hour so far (threshold %d)", res.After, threshold)},
			{Label: "Crossed with", Value: "s3://" + file.Bucket + "/" + file.Key},
		},
	}
	switch res.Rule {
	case KindFailedSignIns:
		a.Severity, a.Title, a.SourceIP = alert.High, "failed sign-ins from one source", res.Subject
	default:
		a.Severity, a.Title, a.Principal, a.User = alert.Medium, "access denied, repeatedly", res.Subject, displayName(res.Subject)
	}
	return a
}

// displayName is the readable part of a principal ARN: "deploy/ci-7" for an assumed role's
// session, "alice" for a user, "root"; anything else as it is.
func displayName(principal string) string {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return principal
	}
	res := parts[5]
	if rest, ok := strings.CutPrefix(res, "assumed-role/"); ok {
		return rest
	}
	for _, prefix := range []string{"user/", "federated-user/", "role/"} {
		if rest, ok := strings.CutPrefix(res, prefix); ok {
			return rest[strings.LastIndexByte(rest, '/')+1:] // a path's last part is the name
		}
	}
	return res
}

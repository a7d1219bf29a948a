package rules

import (
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/trail"
)

// shownFields are the record fields every alert already shows, so a fingerprint path naming
// one adds no detail line.
var shownFields = map[string]bool{
	"eventName": true, "eventSource": true, "eventID": true, "eventTime": true, "errorCode": true,
	"awsRegion": true, "sourceIPAddress": true, "userAgent": true, "recipientAccountId": true,
	"userIdentity.type": true, "userIdentity.arn": true,
}

// Alert is the alert the match raises for rec. Both alert paths build it here, so the same
// event yields the same Kind (the rule id) and EventID, and so the same DedupeKey, whether it
// came from EventBridge or from a delivered log file.
func (m Match) Alert(rec *trail.Record) alert.Alert {
	a := alert.About(rec)
	a.Kind, a.Severity, a.Title = m.Rule.ID, m.Rule.Severity, m.Rule.Title
	a.Attack, a.Runbook = m.Rule.Attack, m.Rule.Runbook
	add := func(label, value string) {
		if value != "" {
			a.Details = append(a.Details, alert.Detail{Label: label, Value: value})
		}
	}
	add("Rule", m.Rule.ID)
	add("Why", m.Rule.Description)
	add("Event source", rec.EventSource)
	add("Identity type", rec.UserIdentity.Type)
	add("Error", rec.ErrorCode)
	for i, p := range m.Rule.Fingerprint {
		if !shownFields[p] {
			add(p, m.Fingerprint[i])
		}
	}
	if len(m.Fingerprint) > 0 {
		a.FingerprintExtra = append([]string(nil), m.Fingerprint...)
	}
	return a
}

package alert

import "github.com/trailguard/trailguard/shared/trail"

// About is an alert about one CloudTrail record, with the fields every alert shows filled in
// the same way by every function (who, from where, when, what, the event's ID), so alerts about
// one event from two paths agree on their dedupe key and fingerprint. The caller sets the kind,
// severity, title and details.
func About(rec *trail.Record) Alert {
	t, _ := rec.Time() // zero when absent or invalid: callers that need it Require it first
	return Alert{
		Account:   rec.Account(),
		Region:    rec.AWSRegion,
		Principal: rec.UserIdentity.Principal(),
		User:      rec.UserIdentity.Name(),
		SourceIP:  rec.SourceIPAddress,
		EventID:   rec.EventID,
		EventName: rec.EventName,
		EventTime: t.UTC(),
		UserAgent: rec.UserAgent,
	}
}

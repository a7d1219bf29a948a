package alert

import "github.com/trailguard/trailguard/shared/trail"

// About is an alert about one CloudTrail record, with the fields every alert shows filled in
// the same way by every function (who, from where, when, what, the event's ID, a sign-in's
// outcome), so alerts about one event from two paths agree on their dedupe key and
// fingerprint. The caller sets the kind, severity, title and details.
func About(rec *trail.Record) Alert {
	outcome := ""
	if isSignIn(rec) {
		si, _ := rec.SignIn() // an unreadable outcome is "": the sign-in checker reports it
		outcome = si.Result
	}
	return AboutSignIn(rec, outcome)
}

// AboutSignIn is About for a caller that has already read the sign-in's outcome
// (trail.SignIn.Result), so the record's payloads are not decoded twice.
func AboutSignIn(rec *trail.Record, outcome string) Alert {
	t, _ := rec.Time() // zero when absent or invalid: callers that need it Check the record first
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
		Outcome:   outcome,
		Cloud:     rec.Cloud,
	}
}

// isSignIn: console sign-ins (eventType AwsConsoleSignIn) and the sign-in service's events
// (IAM Identity Center's UserAuthentication, CredentialVerification…) carry an outcome.
func isSignIn(rec *trail.Record) bool {
	return rec.EventType == "AwsConsoleSignIn" || rec.EventSource == "signin.amazonaws.com"
}

package alert

import (
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/trail"
)

func TestAbout(t *testing.T) {
	rec := &trail.Record{
		EventID: "e1", EventName: "StopLogging", EventTime: "2026-11-20T08:02:11Z", AWSRegion: "eu-west-1",
		SourceIPAddress: "2001:db8::7", UserAgent: "aws-cli/2", RecipientAccountID: "111122223333",
		UserIdentity: trail.UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/Admin/bob", AccountID: "444455556666"},
	}
	a := About(rec)
	want := Alert{Account: "111122223333", Region: "eu-west-1", Principal: "arn:aws:sts::111122223333:assumed-role/Admin/bob",
		User: "Admin/bob", SourceIP: "2001:db8::7", EventID: "e1", EventName: "StopLogging",
		EventTime: time.Date(2026, 11, 20, 8, 2, 11, 0, time.UTC), UserAgent: "aws-cli/2"}
	if a.Account != want.Account || a.Region != want.Region || a.Principal != want.Principal || a.User != want.User ||
		a.SourceIP != want.SourceIP || a.EventID != want.EventID || a.EventName != want.EventName ||
		!a.EventTime.Equal(want.EventTime) || a.UserAgent != want.UserAgent || a.Kind != "" {
		t.Errorf("About = %+v\nwant %+v", a, want)
	}
	rec.EventTime, rec.RecipientAccountID = "", ""
	if a := About(rec); !a.EventTime.IsZero() || a.Account != "444455556666" {
		t.Errorf("without time and recipient: %+v", a)
	}
}

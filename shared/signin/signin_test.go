package signin

import (
	"slices"
	"testing"

	"github.com/trailguard/trailguard/shared/ipallow"
	"github.com/trailguard/trailguard/shared/trail"
)

func kinds(t *testing.T, rec *trail.Record, unreadable ...string) []string {
	t.Helper()
	allow, err := ipallow.Parse("198.51.100.0/24", "")
	if err != nil {
		t.Fatal(err)
	}
	c := Checker{Allow: allow, FailedSignIn: true, RootSignIn: true, SignInWithoutMFA: true}
	si, err := rec.SignIn()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range c.Check(rec, si, unreadable...) {
		out = append(out, a.Kind+"/"+a.Title)
		if a.Cloud != rec.Cloud || a.EventID != rec.EventID {
			t.Errorf("%s: cloud %q event ID %q, want %q %q", a.Kind, a.Cloud, a.EventID, rec.Cloud, rec.EventID)
		}
	}
	return out
}

func record(name, idType, ip, result, mfa string) *trail.Record {
	r := &trail.Record{EventName: name, EventTime: "2026-11-20T12:30:00Z", SourceIPAddress: ip, EventID: "e-1", Cloud: "huawei",
		UserIdentity: trail.UserIdentity{Type: idType, PrincipalID: "p-1", UserName: "alice"}}
	if result != "" {
		r.ResponseElements = []byte(`{"ConsoleLogin":"` + result + `"}`)
	}
	if mfa != "" {
		r.AdditionalEventData = []byte(`{"MFAUsed":"` + mfa + `"}`)
	}
	return r
}

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name       string
		rec        *trail.Record
		unreadable []string
		want       []string
	}{
		{"trusted sign-in with MFA", record(EventSignIn, trail.IdentityIAMUser, "198.51.100.7", "Success", "Yes"), nil, nil},
		{"untrusted sign-in", record(EventSignIn, trail.IdentityIAMUser, "203.0.113.66", "Success", "Yes"), nil,
			[]string{"untrusted-source-ip/untrusted sign-in"}},
		{"failed sign-in", record(EventSignIn, trail.IdentityIAMUser, "198.51.100.7", "Failure", ""), nil,
			[]string{"failed-sign-in/failed sign-in"}},
		{"root sign-in without MFA", record(EventSignIn, trail.IdentityRoot, "198.51.100.7", "Success", "No"), nil,
			[]string{"root-sign-in/root sign-in", "sign-in-without-mfa/sign-in without MFA"}},
		{"MFA unknown is not judged", record(EventSignIn, trail.IdentityIAMUser, "198.51.100.7", "Success", ""), nil, nil},
		{"role without MFA is not judged", record(EventSignIn, trail.IdentityAssumedRole, "198.51.100.7", "Success", "No"), nil, nil},
		{"untrusted sign-out", record(EventSignOut, trail.IdentityIAMUser, "203.0.113.66", "", ""), nil,
			[]string{"untrusted-source-ip/untrusted sign-out"}},
		{"trusted sign-out", record(EventSignOut, trail.IdentityRoot, "198.51.100.7", "", ""), nil, nil},
		{"root sign-out is no root sign-in", record(EventSignOut, trail.IdentityRoot, "203.0.113.66", "", ""), nil,
			[]string{"untrusted-source-ip/untrusted sign-out"}},
		{"unreadable and untrusted", record(EventSignIn, "", "203.0.113.66", "Success", ""), []string{"field userIdentity.type: missing"},
			[]string{"unreadable-sign-in/unreadable sign-in", "untrusted-source-ip/untrusted sign-in"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := kinds(t, tt.rec, tt.unreadable...); !slices.Equal(got, tt.want) {
				t.Errorf("alerts %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	rec := record(EventSignIn, "", "", "Success", "")
	rec.OddFields = []string{"sourceIPAddress", "userAgent", "userIdentity.userName"}
	got := Unreadable(rec, nil, "")
	want := []string{"field sourceIPAddress: of an unexpected JSON type (dropped)", "field userIdentity.type: missing",
		"field userIdentity.userName: of an unexpected JSON type (dropped)"}
	if !slices.Equal(got, want) {
		t.Errorf("Unreadable = %q, want %q", got, want)
	}
	if got := Unreadable(rec, nil, "detail"); got[0] != "field detail.sourceIPAddress: of an unexpected JSON type (dropped)" {
		t.Errorf("under detail: %q", got)
	}
}

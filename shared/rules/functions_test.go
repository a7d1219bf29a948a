package rules

import (
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/trail"
)

func TestHelpers(t *testing.T) {
	role := record(t, assumedRoleRecord)
	user := record(t, iamUserRecord)
	internal := record(t, `{"eventID": "x", "eventName": "ConsoleLogin", "sourceIPAddress": "AWS Internal", "userIdentity": {"type": "IAMUser"}}`)
	host := record(t, `{"eventID": "y", "eventName": "Decrypt", "sourceIPAddress": "s3.amazonaws.com", "userIdentity": {"type": "AWSService", "invokedBy": "s3.amazonaws.com"}}`)
	tests := []struct {
		name string
		expr string
		rec  string // which record: role, user, internal, host
		want bool
	}{
		{"IPv4-mapped IPv6 source in an IPv4 CIDR", `ipInCidrs(event.sourceIPAddress, ["10.0.0.0/8", "198.51.100.0/24"])`, "role", true},
		{"IPv4 source outside every CIDR", `ipInCidrs(event.sourceIPAddress, ["10.0.0.0/8"])`, "role", false},
		{"bare address entry", `ipInCidrs(event.sourceIPAddress, ["198.51.100.23"])`, "role", true},
		{"IPv6 source in an IPv6 CIDR", `ipInCidrs(event.sourceIPAddress, ["2001:db8:4f::/48"])`, "user", true},
		{"IPv6 source outside", `ipInCidrs(event.sourceIPAddress, ["2001:db8:1::/48", "0.0.0.0/0"])`, "user", false},
		{"AWS Internal is in no CIDR", `ipInCidrs(event.sourceIPAddress, ["0.0.0.0/0", "::/0"])`, "internal", false},
		{"service host name is in no CIDR", `ipInCidrs(event.sourceIPAddress, ["0.0.0.0/0", "::/0"])`, "host", false},
		{"empty list", `ipInCidrs(event.sourceIPAddress, [])`, "role", false},
		{"arn account", `arn(event.userIdentity.arn).account == "111122223333"`, "role", true},
		{"arn service and resource type", `arn(event.userIdentity.arn).service == "sts" && arn(event.userIdentity.arn).resourceType == "assumed-role"`, "role", true},
		{"arn resource id keeps the rest", `arn(event.userIdentity.arn).resourceId == "Admin/alice"`, "role", true},
		{"arn of an IAM user", `arn(event.userIdentity.arn).resource == "user/intern" && arn(event.userIdentity.arn).partition == "aws"`, "user", true},
		{"arn of a bucket: no type, id is the name", `arn("arn:aws:s3:::my-bucket").resourceType == "" && arn("arn:aws:s3:::my-bucket").resourceId == "my-bucket"`, "role", true},
		{"not an ARN: every part empty", `arn(event.userIdentity.arn).account == ""`, "internal", true},
		{"missing: absent top-level string", `missing(event.errorCode)`, "role", true},
		{"missing: present string", `missing(event.errorCode)`, "user", false},
		{"missing: absent nested identity field", `missing(event.userIdentity.invokedBy)`, "role", true},
		{"missing: absent nested object", `missing(event.userIdentity.sessionContext)`, "user", true},
		{"missing: present nested object", `missing(event.userIdentity.sessionContext)`, "role", false},
		{"missing: absent payload key, however deep", `missing(event.requestParameters.nope.deeper)`, "role", true},
		{"missing: null payload", `missing(event.responseElements)`, "role", true},
		{"missing: absent payload", `missing(event.requestParameters)`, "user", true},
		{"missing: present payload", `missing(event.requestParameters)`, "role", false},
		{"missing: empty list", `missing(event.resources)`, "user", true},
		{"missing: present payload key", `missing(event.requestParameters.name)`, "role", false},
		{"getOr: absent key gives the fallback", `getOr(event.requestParameters.nope, "x") == "x"`, "role", true},
		{"getOr: present key gives its value", `getOr(event.requestParameters.days, 0) == 7`, "role", true},
		{"getOr: absent payload", `getOr(event.requestParameters.name, "none") == "none"`, "user", true},
	}
	recs := map[string]*trail.Record{"role": role, "user": user, "internal": internal, "host": host}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evalExpr(t, tt.expr, recs[tt.rec])
			if err != nil {
				t.Fatalf("%s: %v", tt.expr, err)
			}
			if got != tt.want {
				t.Errorf("%s = %t, want %t", tt.expr, got, tt.want)
			}
		})
	}
}

// TestHelpersKeepRealErrors: missing and getOr turn "not there" into an answer, but not a
// type error, which would hide a broken rule.
func TestHelpersKeepRealErrors(t *testing.T) {
	rec := record(t, assumedRoleRecord)
	for _, expr := range []string{
		`missing(event.requestParameters.days + "x")`,
		`getOr(event.requestParameters.days / 0, 1) == 1`,
		`ipInCidrs(event.sourceIPAddress, getOr(event.requestParameters.tags, []))`,
	} {
		if _, err := evalExpr(t, expr, rec); err == nil {
			t.Errorf("%s: evaluated without error, want the error kept", expr)
		}
	}
}

func TestCIDRLiteralsCheckedAtCompile(t *testing.T) {
	for _, tt := range []struct{ expr, wantErr string }{
		{`ipInCidrs(event.sourceIPAddress, ["10.0.0.0/33"])`, `"10.0.0.0/33" is not a CIDR`},
		{`ipInCidrs(event.sourceIPAddress, ["10.0.0.0/8", "office"])`, `"office" is not a CIDR`},
	} {
		_, err := Compile([]*Rule{{ID: "t", Title: "t", Severity: "LOW", When: tt.expr, File: "f.yaml", Line: 4}})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "f.yaml:4: rule t: when:") {
			t.Errorf("%s: error %v, want one at f.yaml:4 naming the rule and containing %s", tt.expr, err, tt.wantErr)
		}
	}
}

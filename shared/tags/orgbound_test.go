package tags

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailguard/trailguard/shared/awsfake"
	"github.com/trailguard/trailguard/shared/trail"
)

const (
	orgHome    = "111122223333"
	orgMember  = "444455556666"
	orgOther   = "777788889999" // a member of the organization not listed in Members
	orgForeign = "999999999999" // outside the organization
	orgRole    = "trailguard-tag-reader"
	orgRegion  = "eu-west-1"
	orgID      = "o-a1b2c3d4e5"
)

func keyARN(account string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", orgRegion, account)
}

// scheduleKeyDeletion is a ScheduleKeyDeletion record of account eventAccount naming the key
// of keyAccount by ARN, as CloudTrail writes it: a denied call (AccessDeniedException, no
// response) when the key is another account's, with the key in resources[] when listed.
func scheduleKeyDeletion(t *testing.T, eventAccount, keyAccount string, listed bool) *trail.Record {
	t.Helper()
	outcome := `"responseElements": {"keyId": "` + keyARN(keyAccount) + `", "keyState": "PendingDeletion", "pendingWindowInDays": 7},`
	if keyAccount != eventAccount {
		outcome = `"errorCode": "AccessDeniedException", "errorMessage": "User: arn:aws:sts::` + eventAccount +
			`:assumed-role/dev/mallory is not authorized to perform: kms:ScheduleKeyDeletion on resource: ` + keyARN(keyAccount) +
			` because no resource-based policy allows the kms:ScheduleKeyDeletion action", "responseElements": null,`
	}
	resources := ""
	if listed {
		resources = `, "resources": [{"accountId": "` + keyAccount + `", "type": "AWS::KMS::Key", "ARN": "` + keyARN(keyAccount) + `"}]`
	}
	raw := `{"eventVersion": "1.10",
		"userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:mallory", "arn": "arn:aws:sts::` + eventAccount + `:assumed-role/dev/mallory",
			"accountId": "` + eventAccount + `", "accessKeyId": "ASIAEXAMPLE"},
		"eventTime": "2026-11-21T07:55:40Z", "eventSource": "kms.amazonaws.com", "eventName": "ScheduleKeyDeletion",
		"awsRegion": "` + orgRegion + `", "sourceIPAddress": "203.0.113.24", "userAgent": "aws-cli/2.22.4",
		"requestParameters": {"keyId": "` + keyARN(keyAccount) + `", "pendingWindowInDays": 7},
		` + outcome + `
		"requestID": "e1b4c2d0-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "eventID": "8b7f0d5b-e3a4-45c6-8bc2-d3e4f5a6b72d",
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "` + eventAccount + `",
		"eventCategory": "Management"` + resources + `}`
	rec, err := trail.DecodeRecord([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Check(); err != nil {
		t.Fatal(err)
	}
	return rec
}

// Role assumption is bound to the organization and to the event: through the real SDK clients
// and the STS and tagging wire fakes, an account named only in request parameters or
// resources[] is never assumed into nor read; a member's event assumes the role in that
// account only; with neither MEMBER_ACCOUNTS nor ORGANIZATION_ID no role is assumed at all.
func TestRoleAssumptionBoundToTheOrganization(t *testing.T) {
	tests := []struct {
		name                string
		members             []string
		org                 string
		eventAccount, keyIn string
		listed              bool
		wantRoles           []string // accounts AssumeRole was asked for
		wantSource          string
		wantNotMember       bool
		wantReadIn          []string // accounts whose tags were read (GetResources callers)
	}{
		{name: "home event names a key in a foreign account (request only)", members: []string{orgMember}, org: orgID,
			eventAccount: orgHome, keyIn: orgForeign, wantSource: FromOtherAccount},
		{name: "home event names a key in a foreign account (resources[] too)", members: []string{orgMember}, org: orgID,
			eventAccount: orgHome, keyIn: orgForeign, listed: true, wantSource: FromOtherAccount},
		{name: "member event names a key in a foreign account", org: orgID,
			eventAccount: orgMember, keyIn: orgForeign, listed: true, wantSource: FromOtherAccount},
		{name: "member event names a key in another member", members: []string{orgMember, orgOther},
			eventAccount: orgMember, keyIn: orgOther, listed: true, wantSource: FromOtherAccount},
		{name: "member event names a key in the home account", members: []string{orgMember},
			eventAccount: orgMember, keyIn: orgHome, listed: true, wantSource: FromOtherAccount},
		{name: "listed member's own key", members: []string{orgMember},
			eventAccount: orgMember, keyIn: orgMember, listed: true,
			wantRoles: []string{orgMember}, wantSource: FromLookup, wantReadIn: []string{orgMember}},
		{name: "organization member's own key", org: orgID,
			eventAccount: orgMember, keyIn: orgMember,
			wantRoles: []string{orgMember}, wantSource: FromLookup, wantReadIn: []string{orgMember}},
		{name: "listed and organization: listed member", members: []string{orgMember}, org: orgID,
			eventAccount: orgMember, keyIn: orgMember, listed: true,
			wantRoles: []string{orgMember}, wantSource: FromLookup, wantReadIn: []string{orgMember}},
		{name: "listed and organization: unlisted account's own key", members: []string{orgMember}, org: orgID,
			eventAccount: orgOther, keyIn: orgOther, listed: true, wantSource: FromNone, wantNotMember: true},
		{name: "unlisted account's own key", members: []string{orgMember},
			eventAccount: orgForeign, keyIn: orgForeign, listed: true, wantSource: FromNone, wantNotMember: true},
		{name: "no configuration: member's own key", eventAccount: orgMember, keyIn: orgMember, listed: true,
			wantSource: FromNone, wantNotMember: true},
		{name: "no configuration: home key", eventAccount: orgHome, keyIn: orgHome, listed: true,
			wantSource: FromLookup, wantReadIn: []string{orgHome}},
	}
	fast := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = time.Millisecond })
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stsFake, taggingFake, iamFake := awsfake.NewSTS(t), awsfake.NewTagging(t, orgHome), awsfake.NewIAM(t, orgHome)
			for _, acct := range []string{orgHome, orgMember, orgOther, orgForeign} {
				taggingFake.SetTags(acct, orgRegion, keyARN(acct), map[string]string{"project": "apollo", "owner": acct})
			}
			r := &Resolver{
				Source: &AWS{
					Tagging: rgt.NewFromConfig(awsfake.Config(taggingFake.URL()), func(o *rgt.Options) { o.Retryer = fast() }),
					IAM:     iam.NewFromConfig(awsfake.Config(iamFake.URL()), func(o *iam.Options) { o.Retryer = fast() }),
					Accounts: &Accounts{Home: orgHome, RoleName: orgRole, Members: tt.members, Organization: tt.org,
						STS: sts.NewFromConfig(awsfake.Config(stsFake.URL()), func(o *sts.Options) { o.Retryer = fast() })},
				},
				Cache: NewCache(time.Hour, 100, nil),
				Known: &MemoryKnown{},
			}
			touched := Extract(scheduleKeyDeletion(t, tt.eventAccount, tt.keyIn, tt.listed))
			if touched.Account != tt.eventAccount || len(touched.Resources) != 1 || touched.Resources[0].ARN != keyARN(tt.keyIn) {
				t.Fatalf("extracted %+v, want the key of %s in an event of %s", touched, tt.keyIn, tt.eventAccount)
			}
			got, err := r.Resolve(context.Background(), touched)
			if err != nil {
				t.Fatal(err)
			}
			key := got[keyARN(tt.keyIn)]
			if key.Source != tt.wantSource {
				t.Errorf("tags from %q (%+v), want %q", key.Source, key, tt.wantSource)
			}
			if tt.wantSource == FromOtherAccount && (len(key.Tags) != 0 || !strings.Contains(key.Note, tt.keyIn) || key.Unavailable) {
				t.Errorf("another account's key: %+v, want no tags and a note naming %s", key, tt.keyIn)
			}
			if tt.wantSource == FromLookup && key.Tags["owner"] != tt.keyIn {
				t.Errorf("tags %v, want the key's own (owner=%s)", key.Tags, tt.keyIn)
			}
			if notMember := errors.Is(key.Err, ErrNotMember); notMember != tt.wantNotMember || notMember != key.Unavailable {
				t.Errorf("unavailable %v, error %v; want ErrNotMember %v", key.Unavailable, key.Err, tt.wantNotMember)
			}
			var roles []string
			for _, c := range stsFake.Calls() {
				roles = append(roles, c.RoleARN)
			}
			var wantRoles []string
			for _, acct := range tt.wantRoles {
				wantRoles = append(wantRoles, "arn:aws:iam::"+acct+":role/"+orgRole)
			}
			if !slices.Equal(roles, wantRoles) {
				t.Errorf("AssumeRole requests reaching STS: %v, want %v", roles, wantRoles)
			}
			var readIn []string
			for _, c := range taggingFake.Calls() {
				readIn = append(readIn, c.Account)
				if slices.Contains(c.ARNs, keyARN(tt.keyIn)) && tt.keyIn != tt.eventAccount {
					t.Errorf("GetResources asked for %s, a resource outside the event's account", keyARN(tt.keyIn))
				}
			}
			if !slices.Equal(readIn, tt.wantReadIn) {
				t.Errorf("tags read in %v, want %v", readIn, tt.wantReadIn)
			}
		})
	}
}

// Accounts alone, for any account asked: listed members only when listed, any with only the
// organization (IAM bounds it), none with neither; the home account is always its own.
func TestAccountsAssumeOnlyKnownMembers(t *testing.T) {
	tests := []struct {
		name    string
		members []string
		org     string
		account string
		want    bool // a role is assumed
	}{
		{"listed", []string{orgMember}, "", orgMember, true},
		{"not listed", []string{orgMember}, "", orgForeign, false},
		{"organization", nil, orgID, orgMember, true},
		{"listed wins over organization", []string{orgMember}, orgID, orgOther, false},
		{"neither", nil, "", orgMember, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stsc := &fakeSTS{ttl: time.Hour}
			a := &Accounts{Home: orgHome, RoleName: orgRole, Members: tt.members, Organization: tt.org, STS: stsc}
			if p, err := a.For("aws", orgHome); p != nil || err != nil {
				t.Errorf("home account: %v, %v; want the clients' own", p, err)
			}
			p, err := a.For("aws", tt.account)
			if tt.want {
				if err != nil || p == nil {
					t.Fatalf("For(%s) = %v, %v; want the member role", tt.account, p, err)
				}
				if _, err := p.Retrieve(context.Background()); err != nil {
					t.Fatal(err)
				}
			} else if !errors.Is(err, ErrNotMember) || p != nil {
				t.Errorf("For(%s) = %v, %v; want ErrNotMember", tt.account, p, err)
			}
			if want := map[bool]int{true: 1}[tt.want]; len(stsc.roles) != want {
				t.Errorf("AssumeRole calls %v, want %d", stsc.roles, want)
			}
		})
	}
}

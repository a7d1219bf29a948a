package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/tags"
	"github.com/trailguard/trailguard/shared/trail"
)

const (
	foreignAccount = "999999999999" // outside the organization
	otherMember    = "777788889999" // in the organization, not listed
	organization   = "o-a1b2c3d4e5"
)

func kmsKey(account string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

// scheduleKeyDeletion is a ScheduleKeyDeletion call of account naming keyAccount's key by
// ARN, as EventBridge delivers it; refused (AccessDeniedException, no response, the key in
// resources[] with its owner, as CloudTrail lists it) when the key is another account's.
func scheduleKeyDeletion(t *testing.T, id, account, keyAccount string, at time.Time) []byte {
	t.Helper()
	c := call{id: id, source: "kms", name: "ScheduleKeyDeletion", account: account, at: at,
		identity:  assumedRole(account, "dev", "mallory"),
		req:       map[string]any{"keyId": kmsKey(keyAccount), "pendingWindowInDays": 7},
		resources: []map[string]any{{"accountId": keyAccount, "type": "AWS::KMS::Key", "ARN": kmsKey(keyAccount)}}}
	if keyAccount == account {
		c.resp = map[string]any{"keyId": kmsKey(keyAccount), "keyState": "PendingDeletion", "pendingWindowInDays": 7}
		return c.event(t)
	}
	var ev map[string]any
	if err := json.Unmarshal(c.event(t), &ev); err != nil {
		t.Fatal(err)
	}
	detail := ev["detail"].(map[string]any)
	detail["errorCode"] = "AccessDeniedException"
	detail["errorMessage"] = "User: arn:aws:sts::" + account + ":assumed-role/dev/mallory is not authorized to perform: kms:ScheduleKeyDeletion on resource: " + kmsKey(keyAccount) + " because no resource-based policy allows the kms:ScheduleKeyDeletion action"
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Role assumption is bound to the organization and to the event, end to end: the handler
// under Lambda's wiring, DynamoDB on dynalite, STS and the tagging API as wire fakes.
func TestIntegrationRoleAssumptionBoundToTheEvent(t *testing.T) {
	listed := settings{Config: Config{HomeAccount: homeAccount, MemberRoleName: memberRole, MemberAccounts: []string{memberAccount}}}
	orgOnly := settings{Config: Config{HomeAccount: homeAccount, MemberRoleName: memberRole, OrganizationID: organization}}
	neither := settings{Config: Config{HomeAccount: homeAccount, MemberRoleName: memberRole}}
	tests := []struct {
		name                string
		cfg                 settings
		account, keyAccount string
		wantRoles           []string // accounts whose role STS was asked for
		wantSource          string
		wantUnavailable     bool
	}{
		{"a denied call names a key in a foreign account", listed, homeAccount, foreignAccount, nil, tags.FromOtherAccount, false},
		{"the same with only the organization configured", orgOnly, homeAccount, foreignAccount, nil, tags.FromOtherAccount, false},
		{"a member's call names a key in a foreign account", orgOnly, memberAccount, foreignAccount, nil, tags.FromOtherAccount, false},
		{"a member's call names a key in another member", orgOnly, memberAccount, otherMember, nil, tags.FromOtherAccount, false},
		{"a listed member's own key", listed, memberAccount, memberAccount, []string{memberAccount}, tags.FromLookup, false},
		{"an organization member's own key", orgOnly, memberAccount, memberAccount, []string{memberAccount}, tags.FromLookup, false},
		{"an unlisted account's own key", listed, otherMember, otherMember, nil, tags.FromNone, true},
		{"no configuration: a member's own key", neither, memberAccount, memberAccount, nil, tags.FromNone, true},
		{"no configuration: the home account's key", neither, homeAccount, homeAccount, nil, tags.FromLookup, false},
	}
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, acct := range []string{homeAccount, memberAccount, otherMember, foreignAccount} {
				e.tagging.SetTags(acct, region, kmsKey(acct), map[string]string{"project": "apollo", "owner": acct})
			}
			id := "ev-kms-" + string(rune('a'+i))
			if err := e.containerWith(t, tt.cfg).Handle(t.Context(), scheduleKeyDeletion(t, id, tt.account, tt.keyAccount, at)); err != nil {
				t.Fatal(err)
			}
			var roles []string
			for _, c := range e.sts.Calls() {
				roles = append(roles, c.RoleARN)
			}
			var wantRoles []string
			for _, a := range tt.wantRoles {
				wantRoles = append(wantRoles, "arn:aws:iam::"+a+":role/"+memberRole)
			}
			if !slices.Equal(roles, wantRoles) {
				t.Errorf("AssumeRole requests reaching STS: %v, want %v", roles, wantRoles)
			}
			for _, c := range e.tagging.Calls() {
				if c.Account != tt.account || (tt.keyAccount != tt.account && slices.Contains(c.ARNs, kmsKey(tt.keyAccount))) {
					t.Errorf("GetResources as %s for %v: only the event's account %s may be read", c.Account, c.ARNs, tt.account)
				}
			}
			got, err := e.store.ByPrincipal(t.Context(), "arn:aws:sts::"+tt.account+":assumed-role/dev/mallory", at, at)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d changes recorded, want 1: the change is recorded whatever its tags", len(got))
			}
			c := got[0]
			if c.Resource != kmsKey(tt.keyAccount) || c.Account != tt.account || c.TagsSource != tt.wantSource || c.TagsUnavailable != tt.wantUnavailable {
				t.Errorf("recorded %+v, want the key of %s in account %s, tags from %s, unavailable %v",
					c, tt.keyAccount, tt.account, tt.wantSource, tt.wantUnavailable)
			}
			if tt.wantSource == tags.FromOtherAccount && (len(c.Tags) != 0 || !strings.Contains(c.Note, tt.keyAccount)) {
				t.Errorf("another account's key recorded with tags %v, note %q; want none and a note naming %s", c.Tags, c.Note, tt.keyAccount)
			}
			if tt.wantSource == tags.FromLookup && c.Tags["owner"] != tt.keyAccount {
				t.Errorf("tags %v, want the key's own", c.Tags)
			}
		})
	}
}

// The envelope's account is EventBridge's; a record claiming another recipient is not
// guessed at: the event fails as malformed naming account, nothing is recorded and no role
// is assumed.
func TestIntegrationInconsistentAccountIsMalformed(t *testing.T) {
	e := newEnv(t)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var ev map[string]any
	if err := json.Unmarshal(scheduleKeyDeletion(t, "ev-inconsistent", memberAccount, memberAccount, at), &ev); err != nil {
		t.Fatal(err)
	}
	ev["account"] = homeAccount
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	err = e.container(t).Handle(t.Context(), raw)
	var fe *trail.FieldError
	if !errors.Is(err, trail.ErrMalformed) || !errors.As(err, &fe) || fe.Field != "account" {
		t.Fatalf("Handle = %v, want a malformed-event error naming account", err)
	}
	if calls := e.sts.Calls(); len(calls) != 0 {
		t.Errorf("AssumeRole requests %v, want none", calls)
	}
	for _, acct := range []string{homeAccount, memberAccount} {
		got, err := e.store.ByPrincipal(t.Context(), "arn:aws:sts::"+acct+":assumed-role/dev/mallory", at, at)
		if err != nil || len(got) != 0 {
			t.Errorf("recorded %v, %v; want nothing", got, err)
		}
	}
}

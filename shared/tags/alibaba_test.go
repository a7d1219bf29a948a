package tags

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/cloudfake"
	"github.com/trailguard/trailguard/shared/cloudsign"
)

const (
	aliHome   = "1234567890123456"
	aliMember = "5555666677778888"
	aliOther  = "9999000011112222"
)

var aliKey = cloudsign.Credentials{KeyID: "LTAI5tTAGREADER", Secret: "tag-reader-secret"}

func aliARN(t *testing.T, typ, region, account, id string) string {
	t.Helper()
	arn, ok := AlibabaARN(typ, region, account, id)
	if !ok {
		t.Fatalf("no ARN for %s %s", typ, id)
	}
	return arn
}

// aliRig is the tag Source wired to one fake serving ECS, SLB and STS, with recorded waits.
func aliRig(t *testing.T, key cloudsign.Credentials) (*Alibaba, *cloudfake.AlibabaTags, *[]time.Duration) {
	fake := cloudfake.NewAlibabaTags(t, aliHome, aliKey)
	fake.AddMemberRole(aliMember, AlibabaMemberRole, aliHome)
	fake.Tag("ecs", aliHome, "cn-hangzhou", "i-bp1home", cloudfake.Tagged{"project": "apollo", "owner": "ops"})
	fake.Tag("slb", aliHome, "cn-hangzhou", "lb-bp1home", cloudfake.Tagged{"project": "apollo"})
	fake.Tag("ecs", aliMember, "cn-shanghai", "i-uf6member", cloudfake.Tagged{"project": "gemini"})
	var waits []time.Duration
	src := &Alibaba{Credentials: key, Home: aliHome, Endpoint: func(string, string) string { return fake.URL() }, STSEndpoint: fake.URL(),
		Now: time.Now, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	return src, fake, &waits
}

func TestAlibabaLookup(t *testing.T) {
	src, fake, _ := aliRig(t, aliKey)
	homeECS := aliARN(t, AlibabaECSInstance, "cn-hangzhou", aliHome, "i-bp1home")
	homeSLB := aliARN(t, AlibabaSLBLoadBalancer, "cn-hangzhou", aliHome, "lb-bp1home")
	untagged := aliARN(t, AlibabaECSInstance, "cn-hangzhou", aliHome, "i-bp1untagged")
	member := aliARN(t, AlibabaECSInstance, "cn-shanghai", aliMember, "i-uf6member")
	got := src.Lookup(context.Background(), []Ref{{ARN: homeECS}, {ARN: homeSLB}, {ARN: untagged}, {ARN: member}, {ARN: "acs:oss:cn-hangzhou:1:bucket/b"}})
	want := map[string]Answer{
		homeECS:                          {Tags: Tags{"project": "apollo", "owner": "ops"}, Found: true},
		homeSLB:                          {Tags: Tags{"project": "apollo"}, Found: true},
		untagged:                         {},
		member:                           {Tags: Tags{"project": "gemini"}, Found: true},
		"acs:oss:cn-hangzhou:1:bucket/b": {},
	}
	for arn, w := range want {
		g := got[arn]
		if g.Err != nil || g.Found != w.Found || !g.Tags.Equal(w.Tags) {
			t.Errorf("%s: %+v, want %+v", arn, g, w)
		}
	}
	var actions []string
	for _, r := range fake.Requests() {
		actions = append(actions, r.Path+" "+r.KeyID[:4])
	}
	// One call per account, region and product; the member's through its assumed role.
	wantActions := []string{"ListTagResources 2014-05-26 LTAI", "ListTagResources 2014-05-15 LTAI", "AssumeRole 2015-04-01 LTAI", "ListTagResources 2014-05-26 STS."}
	if strings.Join(actions, ",") != strings.Join(wantActions, ",") {
		t.Errorf("requests %v, want %v", actions, wantActions)
	}
	// The assumed credentials are reused while they last.
	src.Lookup(context.Background(), []Ref{{ARN: member}})
	if n := len(fake.Requests()); n != 5 {
		t.Errorf("%d requests after a second member lookup, want 5 (no second AssumeRole)", n)
	}
}

func TestAlibabaLookupFailures(t *testing.T) {
	homeECS := func(t *testing.T) string { return aliARN(t, AlibabaECSInstance, "cn-hangzhou", aliHome, "i-bp1home") }
	tests := []struct {
		name     string
		key      cloudsign.Credentials
		setup    func(f *cloudfake.AlibabaTags)
		arn      func(t *testing.T) string
		wantCode string // "" : found
		waits    int
	}{
		{name: "wrong secret refused", key: cloudsign.Credentials{KeyID: aliKey.KeyID, Secret: "rotated"}, arn: homeECS, wantCode: "SignatureDoesNotMatch"},
		{name: "unknown key", key: cloudsign.Credentials{KeyID: "LTAI5tGONE", Secret: "x"}, arn: homeECS, wantCode: "InvalidAccessKeyId.NotFound"},
		{name: "denied", key: aliKey, setup: func(f *cloudfake.AlibabaTags) { f.Deny(aliKey.KeyID) }, arn: homeECS, wantCode: "Forbidden.RAM"},
		{name: "throttled twice, then read", key: aliKey, setup: func(f *cloudfake.AlibabaTags) { f.ThrottleNext(2) }, arn: homeECS, waits: 2},
		{name: "throttled past the attempts", key: aliKey, setup: func(f *cloudfake.AlibabaTags) { f.ThrottleNext(5) }, arn: homeECS, wantCode: "Throttling.User", waits: 2},
		{name: "no role in the account", key: aliKey, arn: func(t *testing.T) string {
			return aliARN(t, AlibabaECSInstance, "cn-beijing", aliOther, "i-2ze")
		}, wantCode: "EntityNotExist.Role"},
		{name: "role trusts someone else", key: aliKey, setup: func(f *cloudfake.AlibabaTags) { f.AddMemberRole(aliOther, AlibabaMemberRole, "1111") },
			arn: func(t *testing.T) string { return aliARN(t, AlibabaECSInstance, "cn-beijing", aliOther, "i-2ze") }, wantCode: "NoPermission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, fake, waits := aliRig(t, tt.key)
			if tt.setup != nil {
				tt.setup(fake)
			}
			arn := tt.arn(t)
			got := src.Lookup(context.Background(), []Ref{{ARN: arn}})[arn]
			var ae *AlibabaError
			switch {
			case tt.wantCode == "" && (got.Err != nil || !got.Found):
				t.Errorf("got %+v, want found", got)
			case tt.wantCode != "" && (!errors.As(got.Err, &ae) || ae.Code != tt.wantCode):
				t.Errorf("got %+v, want error %s", got, tt.wantCode)
			}
			if len(*waits) != tt.waits {
				t.Errorf("waited %v, want %d waits", *waits, tt.waits)
			}
		})
	}
}

// TestAlibabaLookupBatches: more IDs than one call takes are split (ECS 50, SLB 20), and a
// long tag list is read to its last page.
func TestAlibabaLookupBatches(t *testing.T) {
	src, fake, _ := aliRig(t, aliKey)
	fake.PageSize = 7
	var refs []Ref
	for i := range 45 {
		id := fmt.Sprintf("lb-many%02d", i)
		fake.Tag("slb", aliHome, "cn-shenzhen", id, cloudfake.Tagged{"n": fmt.Sprint(i), "team": "edge"})
		refs = append(refs, Ref{ARN: aliARN(t, AlibabaSLBLoadBalancer, "cn-shenzhen", aliHome, id)})
	}
	got := src.Lookup(context.Background(), refs)
	for i, ref := range refs {
		if a := got[ref.ARN]; !a.Found || a.Tags["n"] != fmt.Sprint(i) || a.Tags["team"] != "edge" {
			t.Errorf("%s: %+v", ref.ARN, a)
		}
	}
	for _, r := range fake.Requests() {
		if n := strings.Count(r.Query, "ResourceId."); n > 20 {
			t.Errorf("a call named %d IDs, SLB takes 20", n)
		}
	}
}

func TestAlibabaARN(t *testing.T) {
	tests := []struct {
		typ, region, account, id string
		want                     string
	}{
		{AlibabaECSInstance, "cn-hangzhou", aliHome, "i-bp1", "acs:ecs:cn-hangzhou:1234567890123456:instance/i-bp1"},
		{AlibabaSLBLoadBalancer, "eu-central-1", aliHome, "lb-gw8", "acs:slb:eu-central-1:1234567890123456:loadbalancer/lb-gw8"},
		{"ACS::OSS::Bucket", "cn-hangzhou", aliHome, "b", ""},
		{AlibabaECSInstance, "", aliHome, "i-bp1", ""},
		{AlibabaECSInstance, "cn-hangzhou", aliHome, "i-bp1/../x", ""},
	}
	for _, tt := range tests {
		got, ok := AlibabaARN(tt.typ, tt.region, tt.account, tt.id)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("AlibabaARN(%s, %s, %s): %q, %v; want %q", tt.typ, tt.region, tt.id, got, ok, tt.want)
		}
		if ok {
			p, region, account, id, ok := parseAlibabaARN(got)
			if !ok || region != tt.region || account != tt.account || id != tt.id || kindType(p) != tt.typ {
				t.Errorf("parse %s: %v %s %s %s %v", got, p, region, account, id, ok)
			}
		}
	}
}

func TestAlibabaEndpoint(t *testing.T) {
	for _, tt := range []struct{ service, region, want string }{
		{"ecs", "cn-hangzhou", "https://ecs-cn-hangzhou.aliyuncs.com"},
		{"ecs", "cn-shanghai", "https://ecs.cn-shanghai.aliyuncs.com"},
		{"slb", "cn-hangzhou", "https://slb.aliyuncs.com"},
		{"slb", "cn-zhangjiakou", "https://slb.cn-zhangjiakou.aliyuncs.com"},
	} {
		if got := AlibabaEndpoint(tt.service, tt.region); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.service, tt.region, got, tt.want)
		}
	}
}

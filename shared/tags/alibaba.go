package tags

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

// The Alibaba Cloud resources whose tags are read, as ActionTrail names them (resourceType),
// and the API that lists them: ECS ListTagResources (2014-05-26) and SLB ListTagResources
// (2014-05-15), both ResourceType=instance, as the ActionTrail business-view design did.
const (
	AlibabaECSInstance     = "ACS::ECS::Instance"
	AlibabaSLBLoadBalancer = "ACS::SLB::LoadBalancer"
)

// AlibabaMemberRole is the role the Resource Directory creates in every member account for
// the management account (acs:ram::<member uid>:role/ResourceDirectoryAccountAccessRole): tags
// of another account's resources are read through STS AssumeRole of it.
const AlibabaMemberRole = "ResourceDirectoryAccountAccessRole"

// alibabaProduct is one tag API: its product code (the ARN's service and the endpoint's
// prefix), version, resource kind in the ARN, and how many resource IDs one call takes
// (ECS ResourceId.N: 1–50; SLB ResourceId.N: 1–20).
type alibabaProduct struct {
	service, version, kind string
	maxIDs                 int
}

var alibabaProducts = map[string]alibabaProduct{
	AlibabaECSInstance:     {service: "ecs", version: "2014-05-26", kind: "instance", maxIDs: 50},
	AlibabaSLBLoadBalancer: {service: "slb", version: "2014-05-15", kind: "loadbalancer", maxIDs: 20},
}

// AlibabaARN is the Alibaba Cloud Resource Name of an ECS instance or SLB load balancer
// named in an ActionTrail event (acs:ecs:<region>:<account>:instance/<id>,
// acs:slb:<region>:<account>:loadbalancer/<id>), the key its tags are cached and recorded
// under; ok is false for any other resource type, whose tags are not looked up.
func AlibabaARN(resourceType, region, account, id string) (string, bool) {
	p, ok := alibabaProducts[resourceType]
	if !ok || region == "" || account == "" || id == "" || strings.ContainsAny(id, ":/") {
		return "", false
	}
	return fmt.Sprintf("acs:%s:%s:%s:%s/%s", p.service, region, account, p.kind, id), true
}

// parseAlibabaARN reads an ARN AlibabaARN made.
func parseAlibabaARN(arn string) (p alibabaProduct, region, account, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" {
		return p, "", "", "", false
	}
	kind, id, found := strings.Cut(parts[4], "/")
	if !found {
		return p, "", "", "", false
	}
	for _, prod := range alibabaProducts {
		if prod.service == parts[1] && prod.kind == kind {
			return prod, parts[2], parts[3], id, true
		}
	}
	return p, "", "", "", false
}

// AlibabaEndpoint is the endpoint of service (ecs, slb) in region, as Alibaba's SDKs resolve
// it (aliyun/alibabacloud-go-sdk ecs-20140526 and slb-20140515 client.go, EndpointMap and the
// "regional" rule): SLB serves its older regions at slb.aliyuncs.com and the others at
// slb.<region>.aliyuncs.com; ECS serves cn-hangzhou at ecs-cn-hangzhou.aliyuncs.com and every
// other public region at ecs.<region>.aliyuncs.com.
func AlibabaEndpoint(service, region string) string {
	switch {
	case service == "slb" && slices.Contains([]string{"cn-qingdao", "cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen",
		"cn-hongkong", "ap-southeast-1", "us-east-1", "us-west-1"}, region):
		return "https://slb.aliyuncs.com"
	case service == "ecs" && region == "cn-hangzhou":
		return "https://ecs-cn-hangzhou.aliyuncs.com"
	}
	return "https://" + service + "." + region + ".aliyuncs.com"
}

// Alibaba is a Source of Alibaba Cloud ECS instance and SLB load balancer tags, read with
// ListTagResources signed with ACS3-HMAC-SHA256 (shared/cloudsign). Resources of Home (the
// account the key pair belongs to) are read with the key pair; those of another account of
// the Resource Directory with temporary credentials of that account's MemberRole, from STS
// AssumeRole (cached until shortly before they expire). Refs of other resources answer not
// found. The key pair needs ecs:ListTagResources, slb:ListTagResources and, for member
// accounts, sts:AssumeRole (AliyunSTSAssumeRoleAccess).
type Alibaba struct {
	HTTP        *http.Client
	Credentials cloudsign.Credentials
	// Home is the account of Credentials; empty means every account is read with them.
	Home string
	// MemberRole is the role assumed in other accounts (AlibabaMemberRole when empty).
	MemberRole string
	// Endpoint gives a service's endpoint in a region (AlibabaEndpoint when nil); STSEndpoint
	// is STS's (https://sts.aliyuncs.com when empty).
	Endpoint    func(service, region string) string
	STSEndpoint string
	// Now signs requests and ages the assumed credentials; Sleep waits between retries of a
	// throttled call (Attempts tries in all, 3 when 0).
	Now      func() time.Time
	Sleep    func(ctx context.Context, d time.Duration) error
	Attempts int

	mu       sync.Mutex
	sessions map[string]session // account → assumed credentials
}

type session struct {
	cred    cloudsign.Credentials
	expires time.Time
}

// AlibabaError is an error answer of an Alibaba Cloud API ({Code, Message, RequestId}).
type AlibabaError struct {
	Action, Code, Message string
	Status                int
}

func (e *AlibabaError) Error() string {
	return fmt.Sprintf("alibaba %s: HTTP %d %s: %s", e.Action, e.Status, e.Code, e.Message)
}

// throttled reports whether an error is Alibaba's throttling, retried after a wait.
func throttled(err error) bool {
	var ae *AlibabaError
	return errors.As(err, &ae) && (strings.HasPrefix(ae.Code, "Throttling") || ae.Code == "ServiceUnavailable" || ae.Status == http.StatusTooManyRequests)
}

// Lookup implements Source: one batch of ListTagResources calls per account, region and
// product. A batch that fails answers Err for its refs only.
func (a *Alibaba) Lookup(ctx context.Context, refs []Ref) map[string]Answer {
	out := make(map[string]Answer, len(refs))
	type group struct {
		account, region string
		product         alibabaProduct
	}
	batches := map[group][]string{}
	var order []group
	for _, ref := range refs {
		p, region, account, id, ok := parseAlibabaARN(ref.ARN)
		if !ok {
			out[ref.ARN] = Answer{}
			continue
		}
		g := group{account: account, region: region, product: p}
		if _, seen := batches[g]; !seen {
			order = append(order, g)
		}
		batches[g] = append(batches[g], id)
	}
	for _, g := range order {
		ids := batches[g]
		got, err := a.list(ctx, g.account, g.region, g.product, ids)
		for _, id := range ids {
			arn, _ := AlibabaARN(kindType(g.product), g.region, g.account, id)
			switch t, found := got[id]; {
			case err != nil:
				out[arn] = Answer{Err: err}
			case found:
				out[arn] = Answer{Tags: t, Found: true}
			default:
				out[arn] = Answer{} // untagged or gone: ListTagResources lists tagged resources only
			}
		}
	}
	return out
}

// kindType is the ActionTrail resource type of a product.
func kindType(p alibabaProduct) string {
	for t, q := range alibabaProducts {
		if q == p {
			return t
		}
	}
	return ""
}

// list reads the tags of ids (one account, region and product), in calls of at most
// product.maxIDs IDs, following NextToken.
func (a *Alibaba) list(ctx context.Context, account, region string, p alibabaProduct, ids []string) (map[string]Tags, error) {
	cred, err := a.credentials(ctx, account)
	if err != nil {
		return nil, err
	}
	endpoint := AlibabaEndpoint
	if a.Endpoint != nil {
		endpoint = a.Endpoint
	}
	out := map[string]Tags{}
	for chunk := range slices.Chunk(ids, p.maxIDs) {
		next := ""
		for page := 0; ; page++ {
			if page > 1000 {
				return nil, fmt.Errorf("alibaba %s ListTagResources: NextToken never ends", p.service)
			}
			q := url.Values{"RegionId": {region}, "ResourceType": {"instance"}}
			for i, id := range chunk {
				q.Set("ResourceId."+strconv.Itoa(i+1), id)
			}
			if next != "" {
				q.Set("NextToken", next)
			}
			var resp struct {
				NextToken    string
				TagResources struct {
					TagResource []struct{ ResourceId, ResourceType, TagKey, TagValue string }
				}
			}
			if err := a.call(ctx, endpoint(p.service, region), cloudsign.Alibaba{Credentials: cred, Action: "ListTagResources", Version: p.version}, q, &resp); err != nil {
				return nil, fmt.Errorf("%s in %s of account %s: %w", p.service, region, account, err)
			}
			for _, tr := range resp.TagResources.TagResource {
				if out[tr.ResourceId] == nil {
					out[tr.ResourceId] = Tags{}
				}
				out[tr.ResourceId][tr.TagKey] = tr.TagValue
			}
			if resp.NextToken == "" || resp.NextToken == next {
				break
			}
			next = resp.NextToken
		}
	}
	return out, nil
}

// credentials are the key pair for account: the source's own for Home, else assumed.
func (a *Alibaba) credentials(ctx context.Context, account string) (cloudsign.Credentials, error) {
	if a.Home == "" || account == a.Home {
		return a.Credentials, nil
	}
	now := a.Now()
	a.mu.Lock()
	s, ok := a.sessions[account]
	a.mu.Unlock()
	if ok && now.Add(5*time.Minute).Before(s.expires) {
		return s.cred, nil
	}
	role := a.MemberRole
	if role == "" {
		role = AlibabaMemberRole
	}
	stsEndpoint := a.STSEndpoint
	if stsEndpoint == "" {
		stsEndpoint = "https://sts.aliyuncs.com"
	}
	q := url.Values{"RoleArn": {"acs:ram::" + account + ":role/" + role}, "RoleSessionName": {"trailguard-tags"}, "DurationSeconds": {"3600"}}
	var resp struct {
		Credentials struct{ AccessKeyId, AccessKeySecret, SecurityToken, Expiration string }
	}
	if err := a.call(ctx, stsEndpoint, cloudsign.Alibaba{Credentials: a.Credentials, Action: "AssumeRole", Version: "2015-04-01"}, q, &resp); err != nil {
		return cloudsign.Credentials{}, fmt.Errorf("assume %s in account %s: %w", role, account, err)
	}
	c := resp.Credentials
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil || c.AccessKeyId == "" || c.AccessKeySecret == "" || c.SecurityToken == "" {
		return cloudsign.Credentials{}, fmt.Errorf("assume %s in account %s: incomplete credentials in the answer", role, account)
	}
	s = session{cred: cloudsign.Credentials{KeyID: c.AccessKeyId, Secret: c.AccessKeySecret, Token: c.SecurityToken}, expires: exp}
	a.mu.Lock()
	if a.sessions == nil {
		a.sessions = map[string]session{}
	}
	a.sessions[account] = s
	a.mu.Unlock()
	return s.cred, nil
}

// call makes one RPC-style call (parameters in the query, POST), retrying throttling, and
// decodes the JSON answer into out.
func (a *Alibaba) call(ctx context.Context, endpoint string, signer cloudsign.Alibaba, q url.Values, out any) error {
	attempts := a.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	wait := 500 * time.Millisecond
	var err error
	for try := 1; ; try++ {
		if err = a.once(ctx, endpoint, signer, q, out); err == nil || !throttled(err) || try >= attempts {
			return err
		}
		if a.Sleep != nil {
			if serr := a.Sleep(ctx, wait); serr != nil {
				return errors.Join(err, serr)
			}
		}
		wait *= 2
	}
}

func (a *Alibaba) once(ctx context.Context, endpoint string, signer cloudsign.Alibaba, q url.Values, out any) error {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	if err := signer.Sign(r, nil, a.Now()); err != nil {
		return err
	}
	client := a.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(r)
	if err != nil {
		return fmt.Errorf("alibaba %s: %w", signer.Action, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("alibaba %s: read answer: %w", signer.Action, err)
	}
	if resp.StatusCode >= 300 {
		var e struct{ Code, Message string }
		_ = json.Unmarshal(body, &e)
		return &AlibabaError{Action: signer.Action, Code: e.Code, Message: e.Message, Status: resp.StatusCode}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("alibaba %s: answer: %w", signer.Action, err)
	}
	return nil
}

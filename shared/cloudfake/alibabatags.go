package cloudfake

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/cloudsign"
)

// AlibabaTags is one fake endpoint answering the three Alibaba Cloud APIs the change log's
// tag lookup calls, told apart as the gateway does by x-acs-action and x-acs-version:
//
//   - ECS ListTagResources 2014-05-26 and SLB ListTagResources 2014-05-15: RegionId,
//     ResourceType=instance, ResourceId.N (at most 50 for ECS, 20 for SLB), NextToken;
//     {RequestId, NextToken, TagResources: {TagResource: [{ResourceId, ResourceType, TagKey,
//     TagValue}]}}, one entry per tag, only tagged resources listed, PageSize tags a page
//     (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-listtagresources;
//     aliyun/alibabacloud-go-sdk slb-20140515 ListTagResourcesResponseBody);
//   - STS AssumeRole 2015-04-01: RoleArn acs:ram::<uid>:role/<name>, RoleSessionName,
//     DurationSeconds; {RequestId, AssumedRoleUser{Arn, AssumedRoleUserId}, Credentials{
//     AccessKeyId "STS.…", AccessKeySecret, SecurityToken, Expiration}}
//     (https://www.alibabacloud.com/help/doc-detail/28763.htm).
//
// Every request is checked with ACS3-HMAC-SHA256; temporary keys must carry their
// x-acs-security-token, unexpired. Errors are the OpenAPI gateway's {RequestId, HostId, Code,
// Message} with its status: InvalidAccessKeyId.NotFound (404), SignatureDoesNotMatch,
// IncompleteSignature, InvalidSecurityToken.MismatchWithAccessKey, InvalidSecurityToken.Expired
// (400), Throttling.User (400, ThrottleNext), Forbidden.RAM (403, a key denied the tag APIs),
// EntityNotExist.Role (404) and NoPermission (403) for a role that is missing or does not trust
// the caller's account.
type AlibabaTags struct {
	srv *httptest.Server
	// PageSize is how many tag entries one ListTagResources page holds (50 when 0).
	PageSize int

	mu       sync.Mutex
	now      func() time.Time
	keys     map[string]tagKey
	tags     map[string]map[string]Tagged // service → "account/region/id" → tags
	roles    map[string]string            // role ARN → the account it trusts
	denied   map[string]bool              // key IDs refused the tag APIs
	throttle int
	issued   int
	requests []Request
}

// Tagged is one resource's tags in the fake.
type Tagged map[string]string

type tagKey struct {
	secret, account, token string
	expires                time.Time // zero for a long-term key
}

// NewAlibabaTags starts the fake with one long-term key pair of account home.
func NewAlibabaTags(t testing.TB, home string, cred cloudsign.Credentials) *AlibabaTags {
	t.Helper()
	f := &AlibabaTags{now: time.Now, keys: map[string]tagKey{}, tags: map[string]map[string]Tagged{}, roles: map[string]string{}, denied: map[string]bool{}}
	f.keys[cred.KeyID] = tagKey{secret: cred.Secret, account: home}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the endpoint of every service (give it to the client's endpoint resolver).
func (f *AlibabaTags) URL() string { return f.srv.URL }

// SetClock replaces the clock that checks signatures and token expiry.
func (f *AlibabaTags) SetClock(now func() time.Time) { f.mu.Lock(); f.now = now; f.mu.Unlock() }

// Tag sets the tags of a resource: service "ecs" (an instance) or "slb" (a load balancer).
func (f *AlibabaTags) Tag(service, account, region, id string, tags Tagged) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tags[service] == nil {
		f.tags[service] = map[string]Tagged{}
	}
	f.tags[service][account+"/"+region+"/"+id] = tags
}

// AddMemberRole creates role name in account member, trusting account trusted.
func (f *AlibabaTags) AddMemberRole(member, name, trusted string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roles["acs:ram::"+member+":role/"+name] = trusted
}

// Deny makes the tag APIs refuse keyID (Forbidden.RAM).
func (f *AlibabaTags) Deny(keyID string) { f.mu.Lock(); f.denied[keyID] = true; f.mu.Unlock() }

// ThrottleNext makes the next n requests fail with Throttling.User.
func (f *AlibabaTags) ThrottleNext(n int) { f.mu.Lock(); f.throttle += n; f.mu.Unlock() }

// Requests returns the requests received, in order (Query holds the action's parameters;
// Path is "<action> <version>").
func (f *AlibabaTags) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *AlibabaTags) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	action, version := r.Header.Get("x-acs-action"), r.Header.Get("x-acs-version")
	rec := Request{Method: r.Method, Path: action + " " + version, Query: r.URL.RawQuery, Body: body}
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(status int, code, msg string) {
		rec.Error = code
		f.requests = append(f.requests, rec)
		writeJSON(w, status, map[string]string{"RequestId": requestID(), "HostId": r.Host, "Code": code, "Message": msg,
			"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code)})
	}
	now := f.now()
	keyID, err := cloudsign.VerifyAlibaba(r, body, func(id string) (string, bool) {
		k, ok := f.keys[id]
		return k.secret, ok
	}, now, cloudsign.AlibabaSkew)
	rec.KeyID = keyID
	if err != nil {
		status, code, msg := alibabaSignatureError(err)
		fail(status, code, msg)
		return
	}
	key := f.keys[keyID]
	if key.token != "" {
		if r.Header.Get("x-acs-security-token") != key.token {
			fail(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", "The Security Token does not match with Access Key.")
			return
		}
		if !now.Before(key.expires) {
			fail(http.StatusBadRequest, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
			return
		}
	}
	if f.throttle > 0 {
		f.throttle--
		fail(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
		return
	}
	q := r.URL.Query()
	switch {
	case action == "AssumeRole" && version == "2015-04-01":
		f.assumeRole(w, q, key, fail, &rec)
	case action == "ListTagResources" && version == "2014-05-26":
		f.listTags(w, "ecs", 50, q, keyID, key, fail, &rec)
	case action == "ListTagResources" && version == "2014-05-15":
		f.listTags(w, "slb", 20, q, keyID, key, fail, &rec)
	default:
		fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
}

func (f *AlibabaTags) assumeRole(w http.ResponseWriter, q url.Values, caller tagKey, fail func(int, string, string), rec *Request) {
	arn := q.Get("RoleArn")
	if arn == "" || q.Get("RoleSessionName") == "" {
		fail(http.StatusBadRequest, "MissingParameter", "The input parameter RoleArn or RoleSessionName that is mandatory for processing this request is not supplied.")
		return
	}
	trusted, ok := f.roles[arn]
	if !ok {
		fail(http.StatusNotFound, "EntityNotExist.Role", "The role not exists: "+arn+".")
		return
	}
	if trusted != caller.account || caller.token != "" {
		fail(http.StatusForbidden, "NoPermission", "You are not authorized to do this action. You should be authorized by RAM.")
		return
	}
	duration := 3600
	if v := q.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 3600 {
			fail(http.StatusBadRequest, "InvalidParameter.DurationSeconds", "The parameter DurationSeconds is invalid.")
			return
		}
		duration = n
	}
	member := strings.SplitN(arn, ":", 5)[3]
	f.issued++
	id := fmt.Sprintf("STS.NT%06d", f.issued)
	k := tagKey{secret: fmt.Sprintf("sts-secret-%d", f.issued), account: member, token: fmt.Sprintf("CAIS-token-%d", f.issued),
		expires: f.now().Add(time.Duration(duration) * time.Second)}
	f.keys[id] = k
	f.requests = append(f.requests, *rec)
	role := arn[strings.LastIndex(arn, "/")+1:]
	writeJSON(w, http.StatusOK, map[string]any{
		"RequestId":       requestID(),
		"AssumedRoleUser": map[string]string{"Arn": "acs:ram::" + member + ":assumed-role/" + role + "/" + q.Get("RoleSessionName"), "AssumedRoleUserId": "34458433936495****:" + q.Get("RoleSessionName")},
		"Credentials": map[string]string{"AccessKeyId": id, "AccessKeySecret": k.secret, "SecurityToken": k.token,
			"Expiration": k.expires.UTC().Format(cloudsign.AlibabaDateFormat)},
	})
}

func (f *AlibabaTags) listTags(w http.ResponseWriter, service string, maxIDs int, q url.Values, keyID string, key tagKey, fail func(int, string, string), rec *Request) {
	if f.denied[keyID] {
		fail(http.StatusForbidden, "Forbidden.RAM", "User not authorized to operate on the specified resource, or this API doesn't support RAM.")
		return
	}
	region := q.Get("RegionId")
	if region == "" {
		fail(http.StatusBadRequest, "MissingRegionId", "RegionId is mandatory for this action.")
		return
	}
	if q.Get("ResourceType") != "instance" {
		fail(http.StatusBadRequest, "InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records.")
		return
	}
	var ids []string
	for n := 1; ; n++ {
		id := q.Get("ResourceId." + strconv.Itoa(n))
		if id == "" {
			break
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 || len(ids) > maxIDs {
		fail(http.StatusBadRequest, "InvalidParameter.ResourceIds", fmt.Sprintf("ResourceId.N takes 1 to %d IDs.", maxIDs))
		return
	}
	type entry struct{ id, k, v string }
	var all []entry
	for _, id := range ids {
		t := f.tags[service][key.account+"/"+region+"/"+id]
		for _, k := range slices.Sorted(maps.Keys(t)) {
			all = append(all, entry{id, k, t[k]})
		}
	}
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	offset := 0
	if v := q.Get("NextToken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > len(all) {
			fail(http.StatusBadRequest, "InvalidNextToken.Malformed", "The specified NextToken is invalid.")
			return
		}
		offset = n
	}
	stop := min(offset+size, len(all))
	list := []map[string]string{}
	for _, e := range all[offset:stop] {
		list = append(list, map[string]string{"ResourceId": e.id, "ResourceType": "instance", "TagKey": e.k, "TagValue": e.v})
	}
	next := ""
	if stop < len(all) {
		next = strconv.Itoa(stop)
	}
	f.requests = append(f.requests, *rec)
	writeJSON(w, http.StatusOK, map[string]any{"RequestId": requestID(), "NextToken": next, "TagResources": map[string]any{"TagResource": list}})
}

package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	iamXMLNS   = "https://iam.amazonaws.com/doc/2010-05-08/"
	iamVersion = "2010-05-08"
)

// iamFailures are IAM's answers to the injected failures.
var iamFailures = map[Failure]apiError{
	Throttling:    {400, "Throttling", "Rate exceeded"},
	InternalError: {500, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure."},
}

// IAMCall is one ListUserTags or ListRoleTags request the IAM fake received.
type IAMCall struct {
	Action, Name, Account, Marker string
	Error                         string // the error code answered, empty on success
}

// IAM is a fake IAM endpoint (query protocol, API 2010-05-08) serving ListUserTags and
// ListRoleTags of the caller's account (AccountOfKey), paginated by MaxItems and Marker as
// IAM does. IAM is global: requests must be signed for us-east-1. It is safe for
// concurrent use.
type IAM struct {
	server *httptest.Server
	home   string

	mu       sync.Mutex
	entities map[string]map[string]string // "account/user/name" → tags
	calls    []IAMCall
	fail     failures
}

// NewIAM starts a fake whose unissued keys belong to home, and stops it when the test ends.
func NewIAM(t testing.TB, home string) *IAM {
	t.Helper()
	f := &IAM{home: home, entities: map[string]map[string]string{},
		fail: failures{service: "IAM", answers: iamFailures}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.server.Close)
	return f
}

// URL is the endpoint to give the client.
func (f *IAM) URL() string { return f.server.URL }

// SetUserTags creates or retags the user name of account.
func (f *IAM) SetUserTags(account, name string, tags map[string]string) {
	f.set(account, "user", name, tags)
}

// SetRoleTags creates or retags the role name of account.
func (f *IAM) SetRoleTags(account, name string, tags map[string]string) {
	f.set(account, "role", name, tags)
}

// DeleteUser removes a user, as DeleteUser does.
func (f *IAM) DeleteUser(account, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.entities, account+"/user/"+name)
}

func (f *IAM) set(account, kind, name string, tags map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entities[account+"/"+kind+"/"+name] = tags
}

// FailNext makes the next n requests fail with kind.
func (f *IAM) FailNext(n int, kind Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail.add(n, kind)
}

// Calls returns the requests received, in order, failed and retried ones included.
func (f *IAM) Calls() []IAMCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

type iamTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// listTagsResponse is ACTIONResponse/ACTIONResult: the element names come from the XMLName
// values, set per action.
type listTagsResponse struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	Result    listTagsResult
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type listTagsResult struct {
	XMLName     xml.Name
	Tags        []iamTag `xml:"Tags>member"`
	IsTruncated bool     `xml:"IsTruncated"`
	Marker      string   `xml:"Marker,omitempty"`
}

func (f *IAM) serveHTTP(w http.ResponseWriter, r *http.Request) {
	form, err := readQuery(r, "iam", iamVersion)
	call := IAMCall{Action: form.Get("Action"), Marker: form.Get("Marker")}
	if _, region := credentialScope(r); err == nil && region != "us-east-1" {
		err = &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", region)}
	}
	if err == nil {
		call.Account, err = callerAccount(r, f.home)
	}
	kind := map[string]string{"ListUserTags": "user", "ListRoleTags": "role"}[call.Action]
	if err == nil && kind == "" {
		err = &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", call.Action)}
	}
	nameParam := map[string]string{"user": "UserName", "role": "RoleName"}[kind]
	call.Name = form.Get(nameParam)
	maxItems := 100
	if err == nil && call.Name == "" {
		err = &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(nameParam))}
	}
	if v := form.Get("MaxItems"); err == nil && v != "" {
		if n, convErr := strconv.Atoi(v); convErr != nil || n < 1 || n > 1000 {
			err = &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf("MaxItems %q must be between 1 and 1000", v)}
		} else {
			maxItems = n
		}
	}

	f.mu.Lock()
	if err == nil {
		err = f.fail.next()
	}
	tags, exists := f.entities[call.Account+"/"+kind+"/"+call.Name]
	if err == nil && !exists {
		err = &apiError{http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The %s with name %s cannot be found.", kind, call.Name)}
	}
	if err != nil {
		call.Error = err.Code
	}
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if err != nil {
		writeQueryError(w, iamXMLNS, err)
		return
	}
	f.answer(w, form, call.Action, tags, maxItems)
}

// answer writes one page of tags, in key order, starting at the Marker (an index).
func (f *IAM) answer(w http.ResponseWriter, form url.Values, action string, tags map[string]string, maxItems int) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start := 0
	if m := form.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(keys) {
			writeQueryError(w, iamXMLNS, &apiError{http.StatusBadRequest, "ValidationError", "Invalid Marker " + m})
			return
		}
		start = n
	}
	end := min(start+maxItems, len(keys))
	res := listTagsResult{XMLName: xml.Name{Local: action + "Result"}}
	for _, k := range keys[start:end] {
		res.Tags = append(res.Tags, iamTag{k, tags[k]})
	}
	if end < len(keys) {
		res.IsTruncated, res.Marker = true, strconv.Itoa(end)
	}
	id := requestID()
	writeXML(w, http.StatusOK, id, listTagsResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: iamXMLNS, Result: res, RequestID: id})
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

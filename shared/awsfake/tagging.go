package awsfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// taggingFailures are the tagging API's answers to the injected failures.
var taggingFailures = map[Failure]apiError{
	Throttling:    {400, "ThrottlingException", "Rate exceeded"},
	InternalError: {500, "InternalServiceException", "The request processing failed because of an unknown error, exception, or failure."},
}

// maxResourceARNs is GetResources' limit on ResourceARNList (API reference: "a minimum of 1
// and a maximum of 100 ARNs").
const maxResourceARNs = 100

// GetResourcesCall is one GetResources request the tagging fake received.
type GetResourcesCall struct {
	Region  string   // the SigV4 credential scope's region: where the call was made
	Account string   // the caller's account (AccountOfKey)
	ARNs    []string // ResourceARNList
	Error   string   // the error code answered, empty on success
}

// Tagging is a fake Resource Groups Tagging API endpoint (awsJson1_1, target
// ResourceGroupsTaggingAPI_20170126) serving GetResources by ResourceARNList, as AWS does:
// at most 100 ARNs, no pagination or filter parameters alongside, and only the resources of
// the caller's account in the region the request is signed for; an ARN it does not hold is
// left out of the answer, not an error. It is safe for concurrent use.
type Tagging struct {
	server *httptest.Server
	home   string

	mu        sync.Mutex
	resources map[string]taggedResource // ARN → resource
	calls     []GetResourcesCall
	fail      failures
}

type taggedResource struct {
	account, region string
	tags            map[string]string
}

// NewTagging starts a fake whose unissued keys (Config's) belong to home, and stops it when
// the test ends.
func NewTagging(t testing.TB, home string) *Tagging {
	t.Helper()
	f := &Tagging{home: home, resources: map[string]taggedResource{},
		fail: failures{service: "tagging", answers: taggingFailures}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.server.Close)
	return f
}

// URL is the endpoint to give the client.
func (f *Tagging) URL() string { return f.server.URL }

// SetTags makes arn a resource of account in region with these tags (an empty map: a
// resource that had tags and has none left). S3 bucket ARNs name neither account nor region,
// hence the parameters.
func (f *Tagging) SetTags(account, region, arn string, tags map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resources[arn] = taggedResource{account: account, region: region, tags: tags}
}

// Delete removes a resource, as deleting it in AWS does.
func (f *Tagging) Delete(arn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.resources, arn)
}

// FailNext makes the next n requests fail with kind.
func (f *Tagging) FailNext(n int, kind Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail.add(n, kind)
}

// Calls returns the GetResources requests received, in order, failed and retried ones included.
func (f *Tagging) Calls() []GetResourcesCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// getResourcesRequest has every member of GetResourcesInput, so a request with any other
// is refused as the service's deserializer refuses it.
type getResourcesRequest struct {
	ExcludeCompliantResources *bool            `json:"ExcludeCompliantResources"`
	IncludeComplianceDetails  *bool            `json:"IncludeComplianceDetails"`
	PaginationToken           *string          `json:"PaginationToken"`
	ResourceARNList           []string         `json:"ResourceARNList"`
	ResourceTypeFilters       []string         `json:"ResourceTypeFilters"`
	ResourcesPerPage          *int             `json:"ResourcesPerPage"`
	TagFilters                []map[string]any `json:"TagFilters"`
	TagsPerPage               *int             `json:"TagsPerPage"`
}

type wireTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type resourceTagMapping struct {
	ResourceARN string    `json:"ResourceARN"`
	Tags        []wireTag `json:"Tags"`
}

type getResourcesResponse struct {
	PaginationToken        string               `json:"PaginationToken"`
	ResourceTagMappingList []resourceTagMapping `json:"ResourceTagMappingList"`
}

func (f *Tagging) serveHTTP(w http.ResponseWriter, r *http.Request) {
	op, body, err := readJSON11(r, "tagging", "ResourceGroupsTaggingAPI_20170126.")
	_, region := credentialScope(r)
	call := GetResourcesCall{Region: region}
	if err == nil && op != "GetResources" {
		err = &apiError{http.StatusBadRequest, "UnknownOperationException", "the tagging fake does not serve " + op}
	}
	var req getResourcesRequest
	if err == nil {
		err = decodeStrict(body, &req)
	}
	if err == nil {
		call.ARNs = req.ResourceARNList
		call.Account, err = callerAccount(r, f.home)
	}
	if err == nil {
		err = checkGetResources(req)
	}
	f.mu.Lock()
	if err == nil {
		err = f.fail.next()
	}
	if err != nil {
		call.Error = err.Code
	}
	f.calls = append(f.calls, call)
	out := getResourcesResponse{ResourceTagMappingList: []resourceTagMapping{}}
	for _, arn := range req.ResourceARNList {
		res, ok := f.resources[arn]
		if !ok || res.account != call.Account || res.region != region {
			continue
		}
		m := resourceTagMapping{ResourceARN: arn, Tags: []wireTag{}}
		for k, v := range res.tags {
			m.Tags = append(m.Tags, wireTag{k, v})
		}
		out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
	}
	f.mu.Unlock()
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out, "")
}

// checkGetResources applies GetResources' rules for a request by ResourceARNList.
func checkGetResources(req getResourcesRequest) *apiError {
	invalid := func(format string, args ...any) *apiError {
		return &apiError{http.StatusBadRequest, "InvalidParameterException", fmt.Sprintf(format, args...)}
	}
	n := len(req.ResourceARNList)
	switch {
	case n == 0:
		return invalid("the tagging fake serves requests by ResourceARNList only")
	case n > maxResourceARNs:
		return invalid("ResourceARNList has %d ARNs; the maximum is %d", n, maxResourceARNs)
	case req.ResourceTypeFilters != nil || req.TagFilters != nil:
		return invalid("You can't specify both ResourceARNList and ResourceTypeFilters or TagFilters")
	case req.PaginationToken != nil || req.ResourcesPerPage != nil || req.TagsPerPage != nil:
		return invalid("You can't specify both ResourceARNList and pagination parameters")
	}
	for _, arn := range req.ResourceARNList {
		if parts := strings.SplitN(arn, ":", 6); len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
			return invalid("%q is not a valid ARN", arn)
		}
	}
	return nil
}

package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	stsXMLNS   = "https://sts.amazonaws.com/doc/2011-06-15/"
	stsVersion = "2011-06-15"
)

// stsFailures are STS's answers to the injected failures; AccessDenied is also its answer to
// a role that does not trust the caller (Deny), with the role in the message.
var stsFailures = map[Failure]apiError{
	Throttling:   {400, "Throttling", "Rate exceeded"},
	AccessDenied: {403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole on resource: "},
}

// AssumeRoleCall is one AssumeRole request the STS fake answered (or refused).
type AssumeRoleCall struct {
	RoleARN, SessionName string
	// CallerKey is the access key ID that signed the request.
	CallerKey string
	// Error is the error code answered, empty when credentials were issued.
	Error string
}

// STS is a fake AWS STS endpoint (query protocol, API 2011-06-15) serving AssumeRole. It
// issues temporary credentials whose access key ID names the role's account
// ("ASIA" + account + "FAKE"), so the Tagging and IAM fakes know whose resources a caller
// may read (AccountOfKey). Any role ARN may be assumed unless Deny names it. It is safe for
// concurrent use.
type STS struct {
	server   *httptest.Server
	mu       sync.Mutex
	calls    []AssumeRoleCall
	denied   map[string]bool
	fail     failures
	lifetime time.Duration
}

// NewSTS starts a fake STS and stops it when the test ends.
func NewSTS(t testing.TB) *STS {
	t.Helper()
	s := &STS{denied: map[string]bool{},
		fail: failures{service: "STS", answers: stsFailures}}
	s.server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.server.Close)
	return s
}

// URL is the endpoint to give the client.
func (s *STS) URL() string { return s.server.URL }

// Deny makes AssumeRole of roleARN fail with AccessDenied, as when the role does not exist
// or does not trust the caller.
func (s *STS) Deny(roleARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[roleARN] = true
}

// FailNext makes the next n requests fail with kind.
func (s *STS) FailNext(n int, kind Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail.add(n, kind)
}

// SetLifetime makes the credentials issued expire after d instead of the requested
// DurationSeconds (the SDK asks for 15 minutes): short lifetimes test refreshing.
func (s *STS) SetLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// Calls returns the AssumeRole requests received, in order, failed ones included.
func (s *STS) Calls() []AssumeRoleCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// denied is STS's refusal to assume roleARN.
func denied(roleARN string) *apiError {
	e := stsFailures[AccessDenied]
	e.Message += roleARN
	return &e
}

var (
	roleARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

type assumeRoleResponse struct {
	XMLName         xml.Name `xml:"AssumeRoleResponse"`
	Xmlns           string   `xml:"xmlns,attr"`
	AssumedRoleARN  string   `xml:"AssumeRoleResult>AssumedRoleUser>Arn"`
	AssumedRoleID   string   `xml:"AssumeRoleResult>AssumedRoleUser>AssumedRoleId"`
	AccessKeyID     string   `xml:"AssumeRoleResult>Credentials>AccessKeyId"`
	SecretAccessKey string   `xml:"AssumeRoleResult>Credentials>SecretAccessKey"`
	SessionToken    string   `xml:"AssumeRoleResult>Credentials>SessionToken"`
	Expiration      string   `xml:"AssumeRoleResult>Credentials>Expiration"`
	RequestID       string   `xml:"ResponseMetadata>RequestId"`
}

func (s *STS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	form, err := readQuery(r, "sts", stsVersion)
	call := AssumeRoleCall{RoleARN: form.Get("RoleArn"), SessionName: form.Get("RoleSessionName"), CallerKey: accessKeyOf(r)}
	if err == nil && form.Get("Action") != "AssumeRole" {
		err = &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", form.Get("Action"))}
	}
	if err == nil {
		err = s.check(form.Get("DurationSeconds"), call)
	}
	s.mu.Lock()
	if err == nil {
		if err = s.fail.next(); err != nil && err.Code == "AccessDenied" {
			err = denied(call.RoleARN)
		}
	}
	if err == nil && s.denied[call.RoleARN] {
		err = denied(call.RoleARN)
	}
	if err != nil {
		call.Error = err.Code
	}
	s.calls = append(s.calls, call)
	lifetime := s.lifetime
	s.mu.Unlock()
	if err != nil {
		writeQueryError(w, stsXMLNS, err)
		return
	}

	account := roleARNPattern.FindStringSubmatch(call.RoleARN)[1]
	if lifetime == 0 {
		lifetime = time.Hour
		if d, err := strconv.Atoi(form.Get("DurationSeconds")); err == nil {
			lifetime = time.Duration(d) * time.Second
		}
	}
	partition := strings.Split(call.RoleARN, ":")[1]
	roleName := call.RoleARN[strings.LastIndex(call.RoleARN, "/")+1:]
	id := requestID()
	writeXML(w, http.StatusOK, id, assumeRoleResponse{
		Xmlns:           stsXMLNS,
		AssumedRoleARN:  fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", partition, account, roleName, call.SessionName),
		AssumedRoleID:   "AROAFAKE" + account + ":" + call.SessionName,
		AccessKeyID:     "ASIA" + account + "FAKE",
		SecretAccessKey: "awsfake-temporary-not-a-secret",
		SessionToken:    sessionToken(account),
		Expiration:      time.Now().UTC().Add(lifetime).Format(time.RFC3339),
		RequestID:       id,
	})
}

// check validates AssumeRole's parameters as STS does.
func (s *STS) check(duration string, call AssumeRoleCall) *apiError {
	switch {
	case !roleARNPattern.MatchString(call.RoleARN):
		return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf("%q is not a valid role ARN", call.RoleARN)}
	case !sessionNamePattern.MatchString(call.SessionName):
		return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf("1 validation error detected: Value %q at 'roleSessionName' failed to satisfy constraint", call.SessionName)}
	}
	if duration != "" {
		if d, err := strconv.Atoi(duration); err != nil || d < 900 || d > 43200 {
			return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf("DurationSeconds %q must be between 900 and 43200", duration)}
		}
	}
	return nil
}

// sessionToken is the token issued with an account's temporary credentials.
func sessionToken(account string) string { return "awsfake-session-" + account }

// accessKeyOf returns the access key ID of a SigV4 Authorization header ("" if none).
func accessKeyOf(r *http.Request) string {
	key, _ := credentialScope(r)
	return key
}

// credentialScope returns the access key ID and the region of a request's SigV4 credential
// scope (Credential=AKID/DATE/REGION/SERVICE/aws4_request).
func credentialScope(r *http.Request) (key, region string) {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return "", ""
	}
	return parts[0], parts[2]
}

var issuedKey = regexp.MustCompile(`^ASIA([0-9]{12})FAKE$`)

// AccountOfKey is the account whose resources a caller signing with key may read: the
// role's account for credentials the STS fake issued, home for any other key (such as
// Config's static one).
func AccountOfKey(key, home string) string {
	if m := issuedKey.FindStringSubmatch(key); m != nil {
		return m[1]
	}
	return home
}

// callerAccount checks a request's credentials as AWS does (temporary credentials carry
// their session token) and returns the account they belong to.
func callerAccount(r *http.Request, home string) (string, *apiError) {
	key, _ := credentialScope(r)
	account := AccountOfKey(key, home)
	if issuedKey.MatchString(key) && r.Header.Get("X-Amz-Security-Token") != sessionToken(account) {
		return "", &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."}
	}
	return account, nil
}

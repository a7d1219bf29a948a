package awsfake

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"
)

// secretsManagerFailures are Secrets Manager's answers to the injected failures. Its
// AccessDeniedException (a 400, as every awsJson error of the service) names the caller, the
// action and the secret; the fake's message keeps the action.
var secretsManagerFailures = map[Failure]apiError{
	Throttling:    {400, "ThrottlingException", "Rate exceeded"},
	InternalError: {500, "InternalServiceError", "An error occurred on the server side."},
	AccessDenied: {400, "AccessDeniedException",
		"User: arn:aws:sts::111122223333:assumed-role/trailguard-cloudpoll/cloudpoll is not authorized to perform: secretsmanager:GetSecretValue on resource: "},
}

// secretsManagerRegion and secretsManagerAccount make the ARNs of the fake's secrets.
const (
	secretsManagerRegion  = "us-east-1"
	secretsManagerAccount = "111122223333"
)

// GetSecretValueCall is one GetSecretValue request the Secrets Manager fake received.
type GetSecretValueCall struct {
	// SecretID is the request's SecretId, as sent (a name or an ARN).
	SecretID string
	// CallerKey is the access key ID that signed the request.
	CallerKey string
	// Error is the error code answered, empty when the value was returned.
	Error string
}

// SecretsManager is a fake AWS Secrets Manager endpoint (awsJson1_1: POST / with X-Amz-Target
// secretsmanager.<Operation>, SigV4 scoped to secretsmanager) serving GetSecretValue of the
// secrets it was given. A secret is found by its name, its full ARN (the name and the six
// random characters Secrets Manager appends) or its partial ARN (without them), as the
// service finds it. It is safe for concurrent use.
type SecretsManager struct {
	server *httptest.Server

	mu      sync.Mutex
	secrets map[string]*fakeSecret // by name
	denied  map[string]bool        // by name
	calls   []GetSecretValueCall
	fail    failures
}

type fakeSecret struct {
	name, arn, versionID string
	value                string
	binary               []byte
	created              time.Time
}

// NewSecretsManager starts a fake Secrets Manager holding no secret and stops it when the
// test ends.
func NewSecretsManager(t testing.TB) *SecretsManager {
	t.Helper()
	s := &SecretsManager{secrets: map[string]*fakeSecret{}, denied: map[string]bool{},
		fail: failures{service: "SecretsManager", answers: secretsManagerFailures}}
	s.server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.server.Close)
	return s
}

// URL is the endpoint to give the client (Config(URL()), or BaseEndpoint).
func (s *SecretsManager) URL() string { return s.server.URL }

// PutSecret stores value as the AWSCURRENT SecretString of the secret name (creating it, or
// replacing its value as a rotation would) and returns the secret's full ARN.
func (s *SecretsManager) PutSecret(name, value string) string {
	return s.put(name, value, nil)
}

// PutBinarySecret stores a SecretBinary value (no SecretString), as a secret created through
// the API with binary data is, and returns its full ARN.
func (s *SecretsManager) PutBinarySecret(name string, value []byte) string {
	return s.put(name, "", value)
}

func (s *SecretsManager) put(name, value string, binary []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		sec = &fakeSecret{name: name, created: time.Now().UTC(),
			arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", secretsManagerRegion, secretsManagerAccount, name, randomSuffix())}
		s.secrets[name] = sec
	}
	sec.value, sec.binary, sec.versionID = value, binary, requestID()
	return sec.arn
}

// Deny makes GetSecretValue of the secret name fail with AccessDeniedException, as when the
// caller's policy does not allow it (a secret outside the role's prefix).
func (s *SecretsManager) Deny(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[name] = true
}

// FailNext makes the next n requests fail with kind (Throttling, InternalError or
// AccessDenied).
func (s *SecretsManager) FailNext(n int, kind Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail.add(n, kind)
}

// Calls returns the GetSecretValue requests received, in order, failed ones included.
func (s *SecretsManager) Calls() []GetSecretValueCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// randomSuffix is the six characters Secrets Manager appends to a secret's name in its ARN.
func randomSuffix() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// secretARNPattern splits a secret ARN into its name (with the random suffix when the ARN is
// complete).
var secretARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:(.+)$`)

// find resolves a SecretId as Secrets Manager does: a name, a full ARN, or a partial ARN.
func (s *SecretsManager) find(id string) *fakeSecret {
	m := secretARNPattern.FindStringSubmatch(id)
	if m == nil {
		return s.secrets[id]
	}
	for _, sec := range s.secrets {
		if sec.arn == id || sec.name == m[1] { // full ARN, or partial (no random suffix)
			return sec
		}
	}
	return nil
}

type getSecretValueRequest struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

type getSecretValueResponse struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  string   `json:"SecretString,omitempty"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"` // base64, as awsJson sends blobs
	VersionStages []string `json:"VersionStages"`
	CreatedDate   float64  `json:"CreatedDate"` // epoch seconds
}

func (s *SecretsManager) serveHTTP(w http.ResponseWriter, r *http.Request) {
	op, body, err := readJSON11(r, "secretsmanager", "secretsmanager.")
	var req getSecretValueRequest
	if err == nil && op != "GetSecretValue" {
		err = &apiError{http.StatusBadRequest, "UnknownOperationException", "the Secrets Manager fake does not serve " + op}
	}
	if err == nil {
		err = decodeStrict(body, &req)
	}
	if err == nil && (len(req.SecretID) < 1 || len(req.SecretID) > 2048) {
		err = &apiError{http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length between 1 and 2048"}
	}
	if err == nil && req.VersionStage != "" && req.VersionStage != "AWSCURRENT" {
		err = &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: " + req.VersionStage}
	}

	s.mu.Lock()
	call := GetSecretValueCall{SecretID: req.SecretID, CallerKey: accessKeyOf(r)}
	if err == nil {
		if err = s.fail.next(); err != nil && err.Code == "AccessDeniedException" {
			err.Message += req.SecretID
		}
	}
	var sec *fakeSecret
	if err == nil {
		sec = s.find(req.SecretID)
		switch {
		case sec != nil && s.denied[sec.name], sec == nil && s.denied[req.SecretID]:
			e := secretsManagerFailures[AccessDenied]
			e.Message += req.SecretID + " because no identity-based policy allows the secretsmanager:GetSecretValue action"
			err = &e
		case sec == nil:
			err = &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."}
		case req.VersionID != "" && req.VersionID != sec.versionID:
			err = &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: " + req.VersionID}
		}
	}
	if err != nil {
		call.Error = err.Code
	}
	s.calls = append(s.calls, call)
	var out getSecretValueResponse
	if sec != nil {
		out = getSecretValueResponse{ARN: sec.arn, Name: sec.name, VersionID: sec.versionID, SecretString: sec.value,
			SecretBinary: sec.binary, VersionStages: []string{"AWSCURRENT"}, CreatedDate: float64(sec.created.UnixMilli()) / 1000}
	}
	s.mu.Unlock()
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out, "")
}

package cloudsign

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tencent Cloud signature v3 ("TC3-HMAC-SHA256"), per "Signature v3"
// (https://www.tencentcloud.com/document/api/1021/34193, 签名方法 v3): canonical request =
// method, "/", the GET query (empty for POST), "name:value" lines of the signed headers
// (names and values lowercased), the list and the payload's SHA-256; the string to sign is
// "TC3-HMAC-SHA256\n" + X-TC-Timestamp + "\n" + date/service/tc3_request + "\n" +
// hex(sha256(canonical request)); the key is derived HMAC("TC3"+SecretKey, date) → service →
// "tc3_request".
const (
	tencentAlgorithm = "TC3-HMAC-SHA256"
	// TencentSkew is how far X-TC-Timestamp may be from the server's clock: the API answers
	// AuthFailure.SignatureExpire beyond five minutes (common parameters, X-TC-Timestamp).
	TencentSkew = 5 * time.Minute
)

// Tencent signs requests with a SecretId/SecretKey pair for one service (the host's first
// label, e.g. "cloudaudit"). It signs content-type, host and x-tc-action, as the current SDKs
// do. Action, Version and Region fill X-TC-Action, X-TC-Version and X-TC-Region (Region may
// be empty for global APIs).
type Tencent struct {
	Credentials
	Service, Action, Version, Region string
}

// Sign implements Signer. The request must have its Content-Type set (application/json for
// POST).
func (s Tencent) Sign(r *http.Request, body []byte, now time.Time) error {
	if s.KeyID == "" || s.Secret == "" {
		return fmt.Errorf("cloudsign: tencent: empty secret")
	}
	if s.Service == "" || s.Action == "" || s.Version == "" {
		return fmt.Errorf("cloudsign: tencent: service, action and version are required")
	}
	if r.Header.Get("Content-Type") == "" {
		return fmt.Errorf("cloudsign: tencent: Content-Type must be set before signing")
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	r.Header.Set("X-TC-Action", s.Action)
	r.Header.Set("X-TC-Version", s.Version)
	r.Header.Set("X-TC-Timestamp", ts)
	if s.Region != "" {
		r.Header.Set("X-TC-Region", s.Region)
	}
	signed := []string{"content-type", "host", "x-tc-action"}
	date := now.UTC().Format(time.DateOnly)
	cr, err := tencentCanonicalRequest(r, body, signed)
	if err != nil {
		return err
	}
	sig := tencentSignature(s.Secret, date, s.Service, ts, cr)
	r.Header.Set("Authorization", fmt.Sprintf("%s Credential=%s/%s/%s/tc3_request, SignedHeaders=%s, Signature=%s",
		tencentAlgorithm, s.KeyID, date, s.Service, strings.Join(signed, ";"), sig))
	return nil
}

// VerifyTencent checks a request signed with TC3-HMAC-SHA256 for service: content-type and
// host must be signed, the credential scope's date must be X-TC-Timestamp's UTC date and its
// service the expected one, the timestamp within skew, the key known and the signature equal
// (constant time). It returns the SecretId.
func VerifyTencent(r *http.Request, body []byte, service string, secrets Secrets, now time.Time, skew time.Duration) (string, error) {
	rest, ok := strings.CutPrefix(r.Header.Get("Authorization"), tencentAlgorithm+" ")
	if !ok {
		return "", ErrMalformed
	}
	p, ok := authParams(rest)
	if !ok || p["Signature"] == "" || len(p) != 3 {
		return "", ErrMalformed
	}
	signed, ok := signedHeaderList(p["SignedHeaders"], "content-type", "host")
	if !ok {
		return "", ErrMalformed
	}
	scope := strings.Split(p["Credential"], "/")
	if len(scope) != 4 || scope[0] == "" || scope[3] != "tc3_request" {
		return "", ErrMalformed
	}
	key, date, svc := scope[0], scope[1], scope[2]
	ts := r.Header.Get("X-TC-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 {
		return key, ErrMalformed
	}
	at := time.Unix(sec, 0).UTC()
	if date != at.Format(time.DateOnly) || svc != service {
		return key, ErrSignature
	}
	secret, ok := secrets(key)
	if !ok {
		return key, ErrUnknownKey
	}
	if !within(at, now, skew) {
		return key, ErrExpired
	}
	cr, err := tencentCanonicalRequest(r, body, signed)
	if err != nil {
		return key, ErrMalformed
	}
	if !equalHex(tencentSignature(secret, date, svc, ts, cr), p["Signature"]) {
		return key, ErrSignature
	}
	return key, nil
}

func tencentCanonicalRequest(r *http.Request, body []byte, signed []string) (string, error) {
	query := ""
	if r.Method == http.MethodGet {
		query = r.URL.RawQuery
	}
	headers, err := canonicalHeaders("tencent", r, signed, strings.ToLower)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{r.Method, "/", query, headers,
		strings.Join(slices.Clone(signed), ";"), sha256Hex(body)}, "\n"), nil
}

// tencentSigningKey derives SecretSigning from the secret, the scope's date and service.
func tencentSigningKey(secret, date, service string) []byte {
	k := hmacSHA256([]byte("TC3"+secret), date)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "tc3_request")
}

func tencentStringToSign(ts, date, service, canonical string) string {
	return tencentAlgorithm + "\n" + ts + "\n" + date + "/" + service + "/tc3_request\n" + sha256Hex([]byte(canonical))
}

func tencentSignature(secret, date, service, ts, canonical string) string {
	return hex.EncodeToString(hmacSHA256(tencentSigningKey(secret, date, service), tencentStringToSign(ts, date, service, canonical)))
}

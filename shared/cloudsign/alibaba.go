package cloudsign

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Alibaba Cloud signature V3 ("ACS3-HMAC-SHA256"), per "V3 request structure and signature"
// (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature,
// https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
// the string to sign is "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request)); the signature
// is hex(HMAC-SHA256(AccessKeySecret, string to sign)). Every x-acs-* header, host and
// content-type present must be signed.
const (
	alibabaAlgorithm = "ACS3-HMAC-SHA256"
	// AlibabaDateFormat is x-acs-date's layout (ISO 8601 UTC, no fraction).
	AlibabaDateFormat = "2006-01-02T15:04:05Z"
	// AlibabaSkew is how far x-acs-date may be from the server's clock (15 minutes per the
	// V3 signature document's x-acs-date description).
	AlibabaSkew = 15 * time.Minute
)

// Alibaba signs requests with an AccessKey pair. Action and Version are the API's
// (x-acs-action, x-acs-version); Nonce, when set, replaces the random
// x-acs-signature-nonce (tests only).
type Alibaba struct {
	Credentials
	Action, Version string
	Nonce           func() string
}

// Sign implements Signer. RPC-style parameters stay in the URL's query; body is hashed into
// x-acs-content-sha256.
func (s Alibaba) Sign(r *http.Request, body []byte, now time.Time) error {
	if s.KeyID == "" || s.Secret == "" {
		return fmt.Errorf("cloudsign: alibaba: empty access key")
	}
	if s.Action == "" || s.Version == "" {
		return fmt.Errorf("cloudsign: alibaba: action and version are required")
	}
	nonce := ""
	if s.Nonce != nil {
		nonce = s.Nonce()
	} else {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("cloudsign: alibaba: nonce: %w", err)
		}
		nonce = hex.EncodeToString(b[:])
	}
	r.Header.Set("x-acs-action", s.Action)
	r.Header.Set("x-acs-version", s.Version)
	r.Header.Set("x-acs-date", now.UTC().Format(AlibabaDateFormat))
	r.Header.Set("x-acs-signature-nonce", nonce)
	r.Header.Set("x-acs-content-sha256", sha256Hex(body))
	if s.Token != "" {
		r.Header.Set("x-acs-security-token", s.Token)
	}
	signed := alibabaHeadersToSign(r)
	sig, err := alibabaSignature(r, body, signed, s.Secret)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", fmt.Sprintf("%s Credential=%s,SignedHeaders=%s,Signature=%s",
		alibabaAlgorithm, s.KeyID, strings.Join(signed, ";"), sig))
	return nil
}

// alibabaHeadersToSign is host, content-type when set and every x-acs-* header, sorted.
func alibabaHeadersToSign(r *http.Request) []string {
	names := []string{"host"}
	if _, ok := headerValue(r, "content-type"); ok {
		names = append(names, "content-type")
	}
	for k := range r.Header {
		if l := strings.ToLower(k); strings.HasPrefix(l, "x-acs-") {
			names = append(names, l)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// VerifyAlibaba checks a request signed with ACS3-HMAC-SHA256: the date, nonce, content hash,
// action and version headers must be signed, x-acs-content-sha256 must be the body's hash,
// x-acs-date within skew, the key known and the signature equal (constant time). It returns
// the access key ID. Nonce reuse is the caller's to check (x-acs-signature-nonce).
func VerifyAlibaba(r *http.Request, body []byte, secrets Secrets, now time.Time, skew time.Duration) (string, error) {
	rest, ok := strings.CutPrefix(r.Header.Get("Authorization"), alibabaAlgorithm+" ")
	if !ok {
		return "", ErrMalformed
	}
	p, ok := authParams(rest)
	if !ok || p["Credential"] == "" || p["Signature"] == "" || len(p) != 3 {
		return "", ErrMalformed
	}
	signed, ok := signedHeaderList(p["SignedHeaders"], "host", "x-acs-action", "x-acs-content-sha256",
		"x-acs-date", "x-acs-signature-nonce", "x-acs-version")
	if !ok {
		return "", ErrMalformed
	}
	// Every x-acs-* header sent must be signed, so none can be added unsigned.
	for _, h := range alibabaHeadersToSign(r) {
		if strings.HasPrefix(h, "x-acs-") && !slices.Contains(signed, h) {
			return "", ErrMalformed
		}
	}
	date, err := time.Parse(AlibabaDateFormat, r.Header.Get("x-acs-date"))
	if err != nil {
		return "", ErrMalformed
	}
	key := p["Credential"]
	secret, ok := secrets(key)
	if !ok {
		return key, ErrUnknownKey
	}
	if !within(date, now, skew) {
		return key, ErrExpired
	}
	if !equalHex(r.Header.Get("x-acs-content-sha256"), sha256Hex(body)) {
		return key, ErrSignature
	}
	want, err := alibabaSignature(r, body, signed, secret)
	if err != nil {
		return key, ErrMalformed
	}
	if !equalHex(want, p["Signature"]) {
		return key, ErrSignature
	}
	return key, nil
}

func alibabaSignature(r *http.Request, body []byte, signed []string, secret string) (string, error) {
	cr, err := alibabaCanonicalRequest(r, body, signed)
	if err != nil {
		return "", err
	}
	sts := alibabaAlgorithm + "\n" + sha256Hex([]byte(cr))
	return hex.EncodeToString(hmacSHA256([]byte(secret), sts)), nil
}

// alibabaCanonicalRequest is method, URI (RFC 3986 per segment, "/" when empty), query
// (sorted by key, "k=v" RFC 3986-encoded, "k=" for empty), signed headers as
// "name:trimmed value" lines, the list, and x-acs-content-sha256 (the body's hash).
func alibabaCanonicalRequest(r *http.Request, body []byte, signed []string) (string, error) {
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	segs := strings.Split(uri, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return "", fmt.Errorf("cloudsign: alibaba: path: %w", err)
		}
		segs[i] = rfc3986(u)
	}
	query, err := canonicalQuery("alibaba", r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	headers, err := canonicalHeaders("alibaba", r, signed, nil)
	if err != nil {
		return "", err
	}
	hashed := r.Header.Get("x-acs-content-sha256")
	if hashed == "" {
		hashed = sha256Hex(body)
	}
	return strings.Join([]string{r.Method, strings.Join(segs, "/"), query,
		headers, strings.Join(signed, ";"), hashed}, "\n"), nil
}

package cloudsign

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Huawei Cloud APIG AK/SK signing ("SDK-HMAC-SHA256"), as implemented by
// huaweicloud-sdk-go-v3 core/auth/signer/signer.go and described in the APIG developer
// guide ("AK/SK signing and authentication"): the string to sign is
// "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" + hex(sha256(canonical request)); the signature is
// hex(HMAC-SHA256(SK, string to sign)) with no derived key.
const (
	huaweiAlgorithm = "SDK-HMAC-SHA256"
	// HuaweiDateHeader carries the signing time, in HuaweiDateFormat (UTC).
	HuaweiDateHeader = "X-Sdk-Date"
	// HuaweiDateFormat is X-Sdk-Date's layout, e.g. 20060102T150405Z.
	HuaweiDateFormat = "20060102T150405Z"
	// HuaweiSkew is how far X-Sdk-Date may be from the server's clock: APIG refuses a
	// request signed more than 15 minutes away ("signature expired").
	HuaweiSkew = 15 * time.Minute
)

// Huawei signs requests with an AK/SK pair. It signs host, x-sdk-date and, when set,
// content-type and x-project-id.
type Huawei struct {
	Credentials
}

// Sign implements Signer.
func (s Huawei) Sign(r *http.Request, body []byte, now time.Time) error {
	if s.KeyID == "" || s.Secret == "" {
		return fmt.Errorf("cloudsign: huawei: empty access key")
	}
	r.Header.Set(HuaweiDateHeader, now.UTC().Format(HuaweiDateFormat))
	signed := []string{"host", "x-sdk-date"}
	for _, h := range []string{"content-type", "x-project-id"} {
		if _, ok := headerValue(r, h); ok {
			signed = append(signed, h)
		}
	}
	slices.Sort(signed)
	sig, err := huaweiSignature(r, body, signed, s.Secret)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		huaweiAlgorithm, s.KeyID, strings.Join(signed, ";"), sig))
	return nil
}

// VerifyHuawei checks a request signed with SDK-HMAC-SHA256, as APIG does: x-sdk-date must
// be signed and within skew of now, the key known and the signature equal (constant time).
// It returns the access key ID that signed.
func VerifyHuawei(r *http.Request, body []byte, secrets Secrets, now time.Time, skew time.Duration) (string, error) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, huaweiAlgorithm+" ")
	if !ok {
		return "", ErrMalformed
	}
	p, ok := authParams(rest)
	if !ok || p["Access"] == "" || p["Signature"] == "" || len(p) != 3 {
		return "", ErrMalformed
	}
	signed, ok := signedHeaderList(p["SignedHeaders"], "x-sdk-date")
	if !ok {
		return "", ErrMalformed
	}
	date, err := time.Parse(HuaweiDateFormat, r.Header.Get(HuaweiDateHeader))
	if err != nil {
		return "", ErrMalformed
	}
	key := p["Access"]
	secret, ok := secrets(key)
	if !ok {
		return key, ErrUnknownKey
	}
	if !within(date, now, skew) {
		return key, ErrExpired
	}
	want, err := huaweiSignature(r, body, signed, secret)
	if err != nil {
		return key, ErrMalformed
	}
	if !equalHex(want, p["Signature"]) {
		return key, ErrSignature
	}
	return key, nil
}

func huaweiSignature(r *http.Request, body []byte, signed []string, secret string) (string, error) {
	date := r.Header.Get(HuaweiDateHeader)
	if date == "" {
		return "", fmt.Errorf("cloudsign: huawei: no %s", HuaweiDateHeader)
	}
	cr, err := huaweiCanonicalRequest(r, body, signed)
	if err != nil {
		return "", err
	}
	sts := huaweiAlgorithm + "\n" + date + "\n" + sha256Hex([]byte(cr))
	return fmt.Sprintf("%x", hmacSHA256([]byte(secret), sts)), nil
}

// huaweiCanonicalRequest is method, URI (each segment escaped, always ending in "/"),
// query (keys sorted, then values sorted, RFC 3986), "name:trimmed value" lines of the
// signed headers, the signed header list and the body's SHA-256.
func huaweiCanonicalRequest(r *http.Request, body []byte, signed []string) (string, error) {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return "", fmt.Errorf("cloudsign: huawei: path: %w", err)
		}
		segs[i] = rfc3986(u)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	query, err := canonicalQuery("huawei", r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	headers, err := canonicalHeaders("huawei", r, signed, nil)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{r.Method, uri, query, headers,
		strings.Join(signed, ";"), sha256Hex(body)}, "\n"), nil
}

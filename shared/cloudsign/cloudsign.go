// Package cloudsign signs and verifies requests to the Huawei Cloud, Alibaba Cloud and Tencent
// Cloud APIs trailguard polls (CTS ListTraces, ActionTrail LookupEvents, CloudAudit
// DescribeEvents), with the standard library only: the vendors' SDKs weigh tens of megabytes
// and pull in every product. Each scheme has a Signer (used by the poller) and a Verify
// function (used by the wire-level fakes in shared/cloudfake), both built from the same
// canonical-request code, so a signer bug cannot hide behind a matching verifier: the signers
// are tested against the vendors' published vectors.
package cloudsign

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Credentials is one access key pair (Huawei AK/SK, Alibaba AccessKeyId/AccessKeySecret,
// Tencent SecretId/SecretKey).
type Credentials struct {
	KeyID  string
	Secret string
	// Token is the security token of temporary credentials (Alibaba STS AssumeRole: sent as
	// x-acs-security-token, signed with the rest); empty for a long-term key pair.
	Token string
}

// Signer signs an outgoing request in place: it sets the scheme's date headers and the
// Authorization header. body must be the exact bytes the request will send (nil for none);
// now is the signing time, passed in so tests are deterministic.
type Signer interface {
	Sign(r *http.Request, body []byte, now time.Time) error
}

// Secrets looks up the secret of an access key ID; the fakes keep a map of the keys they
// accept.
type Secrets func(keyID string) (secret string, ok bool)

// The verification failures, distinct so a fake can answer each in its cloud's own words.
var (
	// ErrMalformed: no Authorization header, another algorithm, a missing signed header
	// the scheme requires, or an unparsable date.
	ErrMalformed = errors.New("cloudsign: missing or malformed authorization")
	// ErrUnknownKey: the access key ID is not known.
	ErrUnknownKey = errors.New("cloudsign: unknown access key")
	// ErrExpired: the signing time is outside the allowed clock skew.
	ErrExpired = errors.New("cloudsign: signature expired")
	// ErrSignature: the signature does not match the request (wrong secret or tampered
	// request).
	ErrSignature = errors.New("cloudsign: signature does not match")
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// equalHex compares two signatures in constant time.
func equalHex(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// within reports whether t is within skew of now, either side.
func within(t, now time.Time, skew time.Duration) bool {
	d := now.Sub(t)
	return d <= skew && d >= -skew
}

// headerValue reads a header for signing: "host" comes from the request's Host (Go keeps
// it out of r.Header), every other name from r.Header.
func headerValue(r *http.Request, name string) (string, bool) {
	if name == "host" {
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return h, h != ""
	}
	v, ok := r.Header[http.CanonicalHeaderKey(name)]
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.Join(v, ","), true
}

// canonicalQuery is the query string as Huawei's and Alibaba's canonical requests write it:
// keys and then values sorted, each RFC 3986-encoded, joined by "&".
func canonicalQuery(cloud, raw string) (string, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "", fmt.Errorf("cloudsign: %s: query: %w", cloud, err)
	}
	var query []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		vals := slices.Clone(q[k])
		slices.Sort(vals)
		for _, v := range vals {
			query = append(query, rfc3986(k)+"="+rfc3986(v))
		}
	}
	return strings.Join(query, "&"), nil
}

// canonicalHeaders writes "name:value\n" for each signed header, the value trimmed and passed
// through value when set (Tencent lower-cases it); a signed header the request lacks is an
// error.
func canonicalHeaders(cloud string, r *http.Request, signed []string, value func(string) string) (string, error) {
	var headers strings.Builder
	for _, h := range signed {
		v, ok := headerValue(r, h)
		if !ok {
			return "", fmt.Errorf("cloudsign: %s: signed header %s missing", cloud, h)
		}
		v = strings.TrimSpace(v)
		if value != nil {
			v = value(v)
		}
		headers.WriteString(h + ":" + v + "\n")
	}
	return headers.String(), nil
}

// rfc3986 percent-encodes s leaving only the unreserved characters (A-Z a-z 0-9 - _ . ~),
// as all three schemes do for query strings (space is %20, never +; * is %2A).
func rfc3986(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// authParams splits "k1=v1, k2=v2" or "k1=v1,k2=v2" into a map; a part without "=" makes it
// fail.
func authParams(s string) (map[string]string, bool) {
	out := map[string]string{}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return nil, false
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		out[k] = v
	}
	return out, true
}

// signedHeaderList parses "a;b;c", requiring lowercase, sorted, unique names that include
// every name in required.
func signedHeaderList(s string, required ...string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	names := strings.Split(s, ";")
	for i, n := range names {
		if n == "" || n != strings.ToLower(n) || i > 0 && names[i-1] >= n {
			return nil, false
		}
	}
	for _, req := range required {
		found := false
		for _, n := range names {
			if n == req {
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return names, true
}

package cloudsign

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 12, 30, 0, 0, time.UTC)

// scheme bundles one cloud's signer and verifier for the table-driven tests.
type scheme struct {
	name   string
	signer Signer
	verify func(r *http.Request, body []byte, s Secrets, now time.Time) (string, error)
	newReq func(t testing.TB, body string) *http.Request
}

func schemes() []scheme {
	good := Credentials{KeyID: "KEYID-GOOD", Secret: "secret-good"}
	return []scheme{
		{
			name:   "huawei",
			signer: Huawei{Credentials: good},
			verify: func(r *http.Request, b []byte, s Secrets, now time.Time) (string, error) {
				return VerifyHuawei(r, b, s, now, HuaweiSkew)
			},
			newReq: func(t testing.TB, body string) *http.Request {
				r := mustRequest(t, http.MethodGet, "https://cts.cn-north-4.myhuaweicloud.com/v3/0123456789abcdef/traces?trace_type=system&from=1&to=2&limit=200", body)
				r.Header.Set("Content-Type", "application/json")
				return r
			},
		},
		{
			name:   "alibaba",
			signer: Alibaba{Credentials: good, Action: "LookupEvents", Version: "2020-07-06"},
			verify: func(r *http.Request, b []byte, s Secrets, now time.Time) (string, error) {
				return VerifyAlibaba(r, b, s, now, AlibabaSkew)
			},
			newReq: func(t testing.TB, body string) *http.Request {
				return mustRequest(t, http.MethodPost, "https://actiontrail.cn-hangzhou.aliyuncs.com/?StartTime=2026-11-20T12%3A00%3A00Z&MaxResults=50", body)
			},
		},
		{
			name:   "tencent",
			signer: Tencent{Credentials: good, Service: "cloudaudit", Action: "DescribeEvents", Version: "2019-03-19", Region: "ap-guangzhou"},
			verify: func(r *http.Request, b []byte, s Secrets, now time.Time) (string, error) {
				return VerifyTencent(r, b, "cloudaudit", s, now, TencentSkew)
			},
			newReq: func(t testing.TB, body string) *http.Request {
				r := mustRequest(t, http.MethodPost, "https://cloudaudit.tencentcloudapi.com/", body)
				r.Header.Set("Content-Type", "application/json")
				return r
			},
		},
	}
}

func TestSignVerify(t *testing.T) {
	const body = `{"StartTime":1795000000,"EndTime":1795003600,"MaxResults":50}`
	cases := []struct {
		name    string
		secrets Secrets
		now     time.Time
		tamper  func(r *http.Request) []byte // returns the body the server sees
		want    error
	}{
		{"round trip", secretsOf("KEYID-GOOD", "secret-good"), t0, nil, nil},
		{"clock skew within window", secretsOf("KEYID-GOOD", "secret-good"), t0.Add(4 * time.Minute), nil, nil},
		{"wrong secret", secretsOf("KEYID-GOOD", "secret-bad"), t0, nil, ErrSignature},
		{"unknown key", secretsOf("KEYID-OTHER", "secret-good"), t0, nil, ErrUnknownKey},
		{"stale", secretsOf("KEYID-GOOD", "secret-good"), t0.Add(16 * time.Minute), nil, ErrExpired},
		{"from the future", secretsOf("KEYID-GOOD", "secret-good"), t0.Add(-16 * time.Minute), nil, ErrExpired},
		{"tampered body", secretsOf("KEYID-GOOD", "secret-good"), t0,
			func(*http.Request) []byte { return []byte(strings.Replace(body, "50", "51", 1)) }, ErrSignature},
		{"tampered query", secretsOf("KEYID-GOOD", "secret-good"), t0,
			func(r *http.Request) []byte { r.URL.RawQuery += "&x=1"; return nil }, errAnyOf},
		{"no authorization", secretsOf("KEYID-GOOD", "secret-good"), t0,
			func(r *http.Request) []byte { r.Header.Del("Authorization"); return nil }, ErrMalformed},
	}
	for _, sc := range schemes() {
		for _, tc := range cases {
			t.Run(sc.name+"/"+tc.name, func(t *testing.T) {
				r := sc.newReq(t, body)
				if err := sc.signer.Sign(r, []byte(body), t0); err != nil {
					t.Fatal(err)
				}
				seen := []byte(body)
				if tc.tamper != nil {
					if b := tc.tamper(r); b != nil {
						seen = b
					}
				}
				_, err := sc.verify(r, seen, tc.secrets, tc.now)
				switch {
				case tc.want == errAnyOf:
					// Tencent signs no query for POST; the others must refuse.
					if sc.name != "tencent" && !errors.Is(err, ErrSignature) {
						t.Errorf("got %v, want %v", err, ErrSignature)
					}
				case tc.want == nil && err != nil, tc.want != nil && !errors.Is(err, tc.want):
					t.Errorf("got %v, want %v", err, tc.want)
				}
			})
		}
	}
}

var errAnyOf = errors.New("scheme-dependent")

// TestMissingRequiredHeaderRefused drops, after signing, a header each scheme must sign.
func TestMissingRequiredHeaderRefused(t *testing.T) {
	drop := map[string]string{"huawei": "X-Sdk-Date", "alibaba": "x-acs-signature-nonce", "tencent": "X-TC-Timestamp"}
	for _, sc := range schemes() {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.newReq(t, "")
			if err := sc.signer.Sign(r, nil, t0); err != nil {
				t.Fatal(err)
			}
			r.Header.Del(drop[sc.name])
			if _, err := sc.verify(r, nil, secretsOf("KEYID-GOOD", "secret-good"), t0); err == nil {
				t.Errorf("verified without %s", drop[sc.name])
			}
		})
	}
}

// TestHostileAuthorizationRefused: no Authorization header parses into a pass, or a panic.
func TestHostileAuthorizationRefused(t *testing.T) {
	values := []string{
		"", " ", "SDK-HMAC-SHA256", "SDK-HMAC-SHA256 ", "SDK-HMAC-SHA256 Access=", "SDK-HMAC-SHA256 ,,,",
		"SDK-HMAC-SHA256 Access=KEYID-GOOD, SignedHeaders=, Signature=00",
		"SDK-HMAC-SHA256 Access=KEYID-GOOD, SignedHeaders=x-sdk-date;x-sdk-date, Signature=00",
		"SDK-HMAC-SHA256 Access=KEYID-GOOD, SignedHeaders=X-Sdk-Date, Signature=00",
		"ACS3-HMAC-SHA256 Credential=KEYID-GOOD,SignedHeaders=host,Signature=00",
		"ACS3-HMAC-SHA256 Credential=KEYID-GOOD,Credential=x,SignedHeaders=host,Signature=00",
		"TC3-HMAC-SHA256 Credential=KEYID-GOOD, SignedHeaders=content-type;host, Signature=00",
		"TC3-HMAC-SHA256 Credential=KEYID-GOOD/2026-11-20/cloudaudit/tc3_request/x, SignedHeaders=content-type;host, Signature=00",
		"TC3-HMAC-SHA256 Credential=//cloudaudit/tc3_request, SignedHeaders=content-type;host, Signature=00",
		"TC3-HMAC-SHA256 Credential=KEYID-GOOD/2026-11-20/cloudaudit/tc3_request, SignedHeaders=content-type;host, Signature=",
		strings.Repeat("=,;/", 1000),
	}
	for _, sc := range schemes() {
		for _, v := range values {
			r := sc.newReq(t, "")
			if err := sc.signer.Sign(r, nil, t0); err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Authorization", v)
			if _, err := sc.verify(r, nil, secretsOf("KEYID-GOOD", "secret-good"), t0); err == nil {
				t.Errorf("%s accepted Authorization %q", sc.name, v)
			}
		}
	}
}

// TestAlibabaUnsignedACSHeaderRefused: an x-acs-* header added after signing is refused.
func TestAlibabaUnsignedACSHeaderRefused(t *testing.T) {
	sc := schemes()[1]
	r := sc.newReq(t, "")
	if err := sc.signer.Sign(r, nil, t0); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("x-acs-security-token", "injected")
	if _, err := sc.verify(r, nil, secretsOf("KEYID-GOOD", "secret-good"), t0); !errors.Is(err, ErrMalformed) {
		t.Errorf("got %v, want ErrMalformed", err)
	}
}

// TestAlibabaSecurityToken: temporary (STS) credentials send their token as
// x-acs-security-token, signed, so it cannot be swapped without breaking the signature.
func TestAlibabaSecurityToken(t *testing.T) {
	sts := Alibaba{Credentials: Credentials{KeyID: "STS.KEY", Secret: "sts-secret", Token: "token-1"}, Action: "ListTagResources", Version: "2014-05-26"}
	secrets := secretsOf("STS.KEY", "sts-secret")
	r := mustRequest(t, http.MethodPost, "https://ecs.cn-shanghai.aliyuncs.com/?RegionId=cn-shanghai&ResourceType=instance&ResourceId.1=i-1", "")
	if err := sts.Sign(r, nil, t0); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("x-acs-security-token"); got != "token-1" {
		t.Fatalf("x-acs-security-token %q", got)
	}
	if !strings.Contains(r.Header.Get("Authorization"), "x-acs-security-token") {
		t.Errorf("token not signed: %s", r.Header.Get("Authorization"))
	}
	if _, err := VerifyAlibaba(r, nil, secrets, t0, AlibabaSkew); err != nil {
		t.Fatalf("verify: %v", err)
	}
	r.Header.Set("x-acs-security-token", "token-2")
	if _, err := VerifyAlibaba(r, nil, secrets, t0, AlibabaSkew); !errors.Is(err, ErrSignature) {
		t.Errorf("swapped token: %v, want ErrSignature", err)
	}
}

func BenchmarkSign(b *testing.B) {
	body := []byte(`{"StartTime":1795000000,"EndTime":1795003600,"MaxResults":50}`)
	for _, sc := range schemes() {
		b.Run(sc.name, func(b *testing.B) {
			for b.Loop() {
				r := sc.newReq(b, string(body))
				if err := sc.signer.Sign(r, body, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

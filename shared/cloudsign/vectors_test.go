package cloudsign

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func mustRequest(t testing.TB, method, url, body string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHuaweiSDKVectors reproduces TestSigner_Sign of huaweicloud-sdk-go-v3
// (core/auth/signer/signer_test.go): AK "AccessKey", SK "SecretKey", host
// example.huaweicloud.com, path /path, X-Sdk-Date 20060102T150405Z, only x-sdk-date signed
// (the SDK leaves out headers with underscores and content-type). The POST body is the SDK's
// JSON of TestBody{Name: "test", Id: 1} as its json.Encoder writes it, newline included.
func TestHuaweiSDKVectors(t *testing.T) {
	tests := []struct {
		name, method, url, body, want string
		contentType                   string
	}{
		{"test1 GET", http.MethodGet, "https://example.huaweicloud.com/path?limit=1", "",
			"5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624", ""},
		{"test2 POST", http.MethodPost, "https://example.huaweicloud.com/path?key=value", "{\"Name\":\"test\",\"Id\":1}\n",
			"cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59", "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRequest(t, tc.method, tc.url, tc.body)
			r.Header.Set(HuaweiDateHeader, "20060102T150405Z")
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			got, err := huaweiSignature(r, []byte(tc.body), []string{"x-sdk-date"}, "SecretKey")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("signature %s, want %s", got, tc.want)
			}
			// The SDK's Authorization verifies with our verifier at the signing time.
			r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature="+tc.want)
			now := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
			if _, err := VerifyHuawei(r, []byte(tc.body), secretsOf("AccessKey", "SecretKey"), now, HuaweiSkew); err != nil {
				t.Errorf("the SDK's own request does not verify: %v", err)
			}
		})
	}
}

// TestAlibabaDocVector is the fixed-parameter example of Alibaba Cloud's "V3 request structure
// and signature" (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature,
// section 签名示例/固定参数值示例): POST RunInstances 2014-05-26 on ecs.cn-shanghai.aliyuncs.com,
// AccessKey YourAccessKeyId/YourAccessKeySecret, x-acs-date 2023-10-26T10:22:32Z, nonce
// 3156853299f313e23d1673dc12e1703d, empty body.
func TestAlibabaDocVector(t *testing.T) {
	r := mustRequest(t, http.MethodPost,
		"https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai", "")
	s := Alibaba{Credentials: Credentials{KeyID: "YourAccessKeyId", Secret: "YourAccessKeySecret"}, Action: "RunInstances", Version: "2014-05-26",
		Nonce: func() string { return "3156853299f313e23d1673dc12e1703d" }}
	at := time.Date(2023, 10, 26, 10, 22, 32, 0, time.UTC)
	if err := s.Sign(r, nil, at); err != nil {
		t.Fatal(err)
	}
	want := "ACS3-HMAC-SHA256 Credential=YourAccessKeyId," +
		"SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version," +
		"Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
	if got := r.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
	if got := r.Header.Get("x-acs-content-sha256"); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("x-acs-content-sha256 %s", got)
	}
	if _, err := VerifyAlibaba(r, nil, secretsOf("YourAccessKeyId", "YourAccessKeySecret"), at, AlibabaSkew); err != nil {
		t.Errorf("doc request does not verify: %v", err)
	}
}

// TestTencentDocVectorGET is the worked example of Tencent Cloud's "Signature v3" as published
// in 2018-2020 (https://intl.cloud.tencent.com/document/api/1021/34193, English and 签名方法 v3):
// GET cvm DescribeInstances ?Limit=10&Offset=0, SecretId AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE,
// SecretKey Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, X-TC-Timestamp 1539084154, signed headers
// content-type;host → 5da7a33f…c474. It exercises the derived-key chain end to end. (The
// doc's canonical-request listing shows host cvm.api.tencentyun.com, but its code, its
// final request and the published signature use cvm.tencentcloudapi.com.)
func TestTencentDocVectorGET(t *testing.T) {
	r := mustRequest(t, http.MethodGet, "https://cvm.tencentcloudapi.com/?Limit=10&Offset=0", "")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-TC-Action", "DescribeInstances")
	r.Header.Set("X-TC-Version", "2017-03-12")
	r.Header.Set("X-TC-Timestamp", "1539084154")
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	cr, err := tencentCanonicalRequest(r, nil, []string{"content-type", "host"})
	if err != nil {
		t.Fatal(err)
	}
	const want = "5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"
	if got := tencentSignature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2018-10-09", "cvm", "1539084154", cr); got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2018-10-09/cvm/tc3_request, SignedHeaders=content-type;host, Signature="+want)
	if _, err := VerifyTencent(r, nil, "cvm", secretsOf("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"),
		time.Unix(1539084154, 0), TencentSkew); err != nil {
		t.Errorf("the doc's request does not verify: %v", err)
	}
}

// TestTencentDocVectorPOST is the current example of the same document (签名方法 v3, POST
// DescribeInstances, X-TC-Timestamp 1551113065, content-type;host;x-tc-action signed, the
// action lowercased). The doc masks the SecretKey, so it publishes the intermediate values
// instead: the payload hash, the canonical request hash and the derived SecretSigning, from
// which the final signature 10b1a37a…6c4f follows.
func TestTencentDocVectorPOST(t *testing.T) {
	const payload = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	r := mustRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/", payload)
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("X-TC-Action", "DescribeInstances")
	if got := sha256Hex([]byte(payload)); got != "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064" {
		t.Errorf("payload hash %s", got)
	}
	cr, err := tencentCanonicalRequest(r, []byte(payload), []string{"content-type", "host", "x-tc-action"})
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex([]byte(cr)); got != "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84" {
		t.Errorf("canonical request hash %s\n%s", got, cr)
	}
	sts := tencentStringToSign("1551113065", "2019-02-25", "cvm", cr)
	signing, _ := hexDecode("b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af")
	if got := hexEncode(hmacSHA256(signing, sts)); got != "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f" {
		t.Errorf("signature %s", got)
	}
}

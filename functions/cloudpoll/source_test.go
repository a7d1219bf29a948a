package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSources(t *testing.T) {
	ok := `[{"name":"a","cloud":"alibaba","endpoint":"https://actiontrail.cn-hangzhou.aliyuncs.com","secret_arn":"arn:aws:secretsmanager:us-east-1:111122223333:secret:a"},
		{"name":"h","cloud":"huawei","endpoint":"https://cts.cn-north-4.myhuaweicloud.com","project_id":"p","secret_arn":"s","delay":"2m"}]`
	if srcs, err := ParseSources(`[{"name":"t","cloud":"tencent","endpoint":"https://cloudaudit.tencentcloudapi.com","secret_arn":"s","api":"LookUpEvents"}]`); err != nil || srcs[0].API != "LookUpEvents" {
		t.Errorf("LookUpEvents source: %+v %v", srcs, err)
	}
	srcs, err := ParseSources(ok)
	if err != nil || len(srcs) != 2 || srcs[0].delay != 15*time.Minute || srcs[1].delay != 2*time.Minute {
		t.Fatalf("%+v %v", srcs, err)
	}
	for _, tt := range []struct{ in, want string }{
		{`{}`, "not a JSON array"},
		{`[{"cloud":"huawei"}]`, "name is required"},
		{`[{"name":"x","cloud":"aws","endpoint":"https://e","secret_arn":"s"}]`, `cloud "aws"`},
		{`[{"name":"x","cloud":"tencent","endpoint":"https://e"}]`, "secret_arn is required"},
		{`[{"name":"x","cloud":"huawei","endpoint":"https://e","secret_arn":"s"}]`, "project_id is required"},
		{`[{"name":"x","cloud":"tencent","endpoint":"ftp://e","secret_arn":"s"}]`, "not an http(s) URL"},
		{`[{"name":"x","cloud":"tencent","endpoint":"https://e","secret_arn":"s","delay":"-1m"}]`, "delay"},
		{`[{"name":"x","cloud":"tencent","endpoint":"https://e","secret_arn":"s","api":"GetEvents"}]`, `api "GetEvents"`},
		{`[{"name":"x","cloud":"alibaba","endpoint":"https://e","secret_arn":"s","api":"LookUpEvents"}]`, `api "LookUpEvents"`},
		{`[{"name":"x","cloud":"tencent","endpoint":"https://e","secret_arn":"s"},{"name":"x","cloud":"tencent","endpoint":"https://e","secret_arn":"s"}]`, "used twice"},
	} {
		if _, err := ParseSources(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "SOURCES") {
			t.Errorf("%s: error %v, want one naming SOURCES and %q", tt.in, err, tt.want)
		}
	}
}

func TestParseSecret(t *testing.T) {
	for _, s := range []string{`{"access_key_id":"k","access_key_secret":"s"}`, `{"ak":"k","sk":"s"}`,
		`{"AccessKeyId":"k","AccessKeySecret":"s"}`, `{"SecretId":"k","SecretKey":"s"}`} {
		if c, err := ParseSecret(s); err != nil || c.KeyID != "k" || c.Secret != "s" {
			t.Errorf("%s: %+v %v", s, c, err)
		}
	}
	for _, s := range []string{`{"ak":"k"}`, `[]`, `{"ak":1}`} {
		if _, err := ParseSecret(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}

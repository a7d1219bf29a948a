package main

import (
	"errors"
	"net/http"
	"testing"

	"github.com/trailguard/trailguard/shared/cloudaudit"
)

// TestClassify: each cloud's documented throttling and refused-key codes (client.go) are
// told apart from other errors.
func TestClassify(t *testing.T) {
	tests := []struct {
		cloud, code string
		status      int
		want        error // nil: neither
	}{
		{cloudaudit.Huawei, "APIGW.0308", 429, ErrThrottled},
		{cloudaudit.Huawei, "APIG.0308", 429, ErrThrottled},
		{cloudaudit.Huawei, "APIGW.0301", 401, ErrRefused},
		{cloudaudit.Huawei, "APIG.0301", 401, ErrRefused},
		{cloudaudit.Huawei, "CTS.0001", 400, nil},
		{cloudaudit.Alibaba, "Throttling.User", 400, ErrThrottled},
		{cloudaudit.Alibaba, "InvalidAccessKeyId.NotFound", 404, ErrRefused},
		{cloudaudit.Alibaba, "SignatureDoesNotMatch", 400, ErrRefused},
		{cloudaudit.Alibaba, "Forbidden.RAM", 403, ErrRefused},
		{cloudaudit.Alibaba, "InvalidStartTime", 400, nil},
		{cloudaudit.Tencent, "RequestLimitExceeded", 200, ErrThrottled},
		{cloudaudit.Tencent, "AuthFailure.SecretIdNotFound", 200, ErrRefused},
		{cloudaudit.Tencent, "AuthFailure.SignatureFailure", 200, ErrRefused},
		{cloudaudit.Tencent, "UnauthorizedOperation", 200, ErrRefused},
		{cloudaudit.Tencent, "InternalError", 200, nil},
	}
	for _, tt := range tests {
		err := classify(&cloudaudit.APIError{Cloud: tt.cloud, Code: tt.code, Status: tt.status}, tt.status)
		for _, kind := range []error{ErrThrottled, ErrRefused} {
			if errors.Is(err, kind) != (kind == tt.want) {
				t.Errorf("%s %s: %v, want %v", tt.cloud, tt.code, err, tt.want)
			}
		}
	}
	if err := classify(errors.New("no body"), http.StatusTooManyRequests); !errors.Is(err, ErrThrottled) {
		t.Errorf("HTTP 429 without a body: %v", err)
	}
}

//go:build lambda

package config

import (
	"context"
	"testing"
)

// TestLoadAWSUnderLambdaTag: the lambda build's LoadAWS is the runtime's environment, not the
// SDK's default chain (go test -tags lambda ./shared/config/).
func TestLoadAWSUnderLambdaTag(t *testing.T) {
	t.Setenv("AWS_REGION", "ap-southeast-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	cfg, err := LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-southeast-2" || creds.Source != "LambdaEnvironment" {
		t.Errorf("region %q, credentials from %q", cfg.Region, creds.Source)
	}
}

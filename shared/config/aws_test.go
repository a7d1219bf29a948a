package config

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// TestLambdaAWS: the Lambda bootstrap's configuration comes from the runtime's environment,
// and a missing region or credential stops the function at start instead of running unsigned.
func TestLambdaAWS(t *testing.T) {
	role := map[string]string{
		"AWS_REGION":            "eu-west-1",
		"AWS_ACCESS_KEY_ID":     "ASIAEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN":     "token",
	}
	with := func(extra map[string]string, drop ...string) map[string]string {
		env := map[string]string{}
		for k, v := range role {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		for _, k := range drop {
			delete(env, k)
		}
		return env
	}
	tests := []struct {
		name         string
		env          map[string]string
		wantErr      bool
		wantRegion   string
		wantDynamoDB string // the DynamoDB client's base endpoint, "" for AWS's
		wantSNS      string
	}{
		{name: "execution role", env: role, wantRegion: "eu-west-1"},
		{name: "AWS_DEFAULT_REGION when AWS_REGION is unset", env: with(map[string]string{"AWS_DEFAULT_REGION": "us-east-2"}, "AWS_REGION"), wantRegion: "us-east-2"},
		{name: "no region", env: with(nil, "AWS_REGION"), wantErr: true},
		{name: "no access key", env: with(nil, "AWS_ACCESS_KEY_ID"), wantErr: true},
		{name: "no secret key", env: with(nil, "AWS_SECRET_ACCESS_KEY"), wantErr: true},
		{name: "one endpoint for every service", env: with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4567"}),
			wantRegion: "eu-west-1", wantDynamoDB: "http://127.0.0.1:4567", wantSNS: "http://127.0.0.1:4567"},
		{name: "a service's own endpoint wins", env: with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4567", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}),
			wantRegion: "eu-west-1", wantDynamoDB: "http://127.0.0.1:8000", wantSNS: "http://127.0.0.1:4567"},
		{name: "configured endpoints ignored", env: with(map[string]string{"AWS_ENDPOINT_URL_SNS": "http://127.0.0.1:9911", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}),
			wantRegion: "eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := lambdaAWS(func(k string) string { return tt.env[k] })
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.wantRegion {
				t.Errorf("region %q, want %q", cfg.Region, tt.wantRegion)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if creds.AccessKeyID != tt.env["AWS_ACCESS_KEY_ID"] || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
				t.Errorf("credentials %+v", creds)
			}
			// The SDK's clients read AWS_ENDPOINT_URL_<SERVICE> themselves when it is set in the
			// process's environment; here only the configuration's own sources may name one.
			for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SNS"} {
				t.Setenv(k, "")
			}
			endpoint := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			if got := endpoint(dynamodb.NewFromConfig(cfg).Options().BaseEndpoint); got != tt.wantDynamoDB {
				t.Errorf("DynamoDB endpoint %q, want %q", got, tt.wantDynamoDB)
			}
			if got := endpoint(sns.NewFromConfig(cfg).Options().BaseEndpoint); got != tt.wantSNS {
				t.Errorf("SNS endpoint %q, want %q", got, tt.wantSNS)
			}
		})
	}
	if _, err := lambdaAWS(func(string) string { return "" }); err == nil {
		t.Error("an empty environment gave a configuration")
	}
	if _, err := lambdaAWS(func(k string) string { return map[string]string{"AWS_REGION": "eu-west-1"}[k] }); !errors.Is(err, ErrNoLambdaCredentials) {
		t.Errorf("no credentials: %v, want ErrNoLambdaCredentials", err)
	}
}

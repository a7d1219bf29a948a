package config

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// LoadAWS (aws_default.go, aws_lambda.go) is the AWS configuration every function's clients
// are built from. Builds without the lambda tag (tests, local runs, make local) use the SDK's
// default chain: profiles, SSO, web identity, IMDS. The Lambda bootstrap (make build tags it
// lambda) reads the environment the Lambda runtime gives the process instead (lambdaAWS), so
// it does not link the chain's SSO, SSO-OIDC, STS, sign-in and IMDS clients: 2 MB of a
// bootstrap that never uses them, since in Lambda the credentials are the execution role's.

// ErrNoLambdaCredentials is lambdaAWS's answer for an environment without the execution
// role's credentials: the function stops at start rather than send unsigned requests.
var ErrNoLambdaCredentials = errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the Lambda runtime sets them to the execution role's credentials; outside Lambda run a build without the lambda tag, which uses the SDK's default chain)")

// lambdaAWS builds the configuration from the variables the Lambda runtime sets: the region
// (AWS_REGION, else AWS_DEFAULT_REGION) and the execution role's temporary credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: "the access keys obtained from
// the function's execution role", Lambda's reserved runtime variables,
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
// which the runtime keeps valid for the execution environment's life. Like the default chain it honours AWS_ENDPOINT_URL
// and AWS_ENDPOINT_URL_<SERVICE> (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), so the
// bootstrap also runs against the emulators. Clients get the SDK's defaults otherwise
// (standard retryer, default HTTP client), as with the default chain when nothing is
// configured.
func lambdaAWS(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, &Error{Var: "AWS_REGION", Problem: "must be set (the Lambda runtime sets it)"}
	}
	creds := aws.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
		Source:          "LambdaEnvironment",
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return aws.Config{}, ErrNoLambdaCredentials
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
	}
	if strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return cfg, nil
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	cfg.ConfigSources = []any{serviceEndpoints(getenv)}
	return cfg, nil
}

// serviceEndpoints answers the clients' question for AWS_ENDPOINT_URL_<SERVICE>, the way the
// SDK's EnvConfig does: the service's SDK ID upper-cased, spaces as underscores.
type serviceEndpoints func(string) string

// GetServiceBaseEndpoint is the method the SDK's clients look for among aws.Config's
// ConfigSources.
func (getenv serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if u := getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")); u != "" {
		return u, true, nil
	}
	return "", false, nil
}

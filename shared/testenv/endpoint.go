// Package testenv gives integration tests real aws-sdk-go-v2 clients for the
// local emulators that `make test` starts (scripts/with-emulators: dynalite
// for DynamoDB, s3rver for S3), and the resources on them: tables built from
// their definitions in template.yaml, and buckets. Everything a test creates
// is removed when the test ends.
//
// Clients come from the SDK's default configuration chain, so the standard
// AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 variables point them at the
// emulators. Without them a test skips, or fails when CI=true: a test that
// needs an emulator never passes silently in CI.
package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The SDK's standard service-specific endpoint variables.
const (
	DynamoDBEndpointVar = "AWS_ENDPOINT_URL_DYNAMODB"
	S3EndpointVar       = "AWS_ENDPOINT_URL_S3"
)

// DynamoDB returns a client for the DynamoDB emulator (dynalite).
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	// dynalite's x-amz-crc32 sometimes disagrees with the body it sends ("response did not
	// match expected checksum"); the SDK then retries the call, so a non-idempotent ADD the
	// emulator already applied is applied twice and a test sees a count off by one. Real
	// DynamoDB's checksums match; the emulator's are not checked.
	return dynamodb.NewFromConfig(emulatorConfig(t, DynamoDBEndpointVar, "DynamoDB (dynalite)"),
		func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
}

// S3 returns a client for the S3 emulator (s3rver), with path-style
// addressing: bucket names do not resolve as subdomains of 127.0.0.1.
func S3(t testing.TB) *s3.Client {
	t.Helper()
	return s3.NewFromConfig(emulatorConfig(t, S3EndpointVar, "S3 (s3rver)"), func(o *s3.Options) {
		o.UsePathStyle = true
	})
}

func emulatorConfig(t testing.TB, variable, emulator string) aws.Config {
	t.Helper()
	switch v, msg := requireEndpoint(os.Getenv, variable, emulator); v {
	case fail:
		t.Fatal(msg)
	case skip:
		t.Skip(msg)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("load AWS config for the %s emulator: %v", emulator, err)
	}
	if cfg.Region == "" {
		t.Fatalf("AWS_REGION is not set: the %s emulator still needs signed requests; run the tests with `make test`", emulator)
	}
	return cfg
}

// verdict is what a test does about an emulator.
type verdict int

const (
	run verdict = iota
	skip
	fail
)

// requireEndpoint decides whether a test that needs the emulator behind
// variable can run: yes when the variable is set; otherwise it fails in CI
// (CI=true, or any value strconv.ParseBool reads as true) and skips elsewhere,
// with a message saying how to run it.
func requireEndpoint(getenv func(string) string, variable, emulator string) (verdict, string) {
	if getenv(variable) != "" {
		return run, ""
	}
	if ci, _ := strconv.ParseBool(getenv("CI")); ci {
		return fail, fmt.Sprintf("%s is not set and CI=true: this test needs the %s emulator; run it with `make test`, which starts the emulators and sets %s", variable, emulator, variable)
	}
	return skip, fmt.Sprintf("%s is not set: this test needs the %s emulator; run `make test` to start it", variable, emulator)
}

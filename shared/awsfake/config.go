package awsfake

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config returns an SDK configuration that sends every client built from it
// to endpoint (a fake's URL), in us-east-1, signed with dummy static
// credentials: the fakes check that a request is signed, not by whom. The
// SDK's default retryer applies, so tests see its real retry behaviour.
//
// It is for tests only: functions get their configuration from the default
// chain (config.LoadDefaultConfig), never from here.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDAWSFAKE", "awsfake-not-a-secret", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

//go:build lambda

package config

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// LoadAWS reads the Lambda runtime's environment (lambdaAWS, see aws.go): this build is a
// Lambda bootstrap and does not link the SDK's default chain.
func LoadAWS(context.Context) (aws.Config, error) { return lambdaAWS(os.Getenv) }

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// bootstrapTags are the build tags make build gives logincheck's Lambda bootstrap (Makefile:
// lambda for the runtime's configuration loader, stdjson for encoding/json).
const bootstrapTags = "lambda.norpc,lambda,stdjson"

// TestBootstrapLeavesOutWhatItNeverUses keeps the Lambda bootstrap small (issue 13: under
// 10 MB): it must not link goccy/go-json (2 MB; one small event per invocation decodes as
// fast with encoding/json), the SDK's default credential chain (its SSO, SSO-OIDC, STS,
// sign-in and IMDS clients: in Lambda the credentials are the execution role's, in the
// environment), nor anything of the rules engine or the local state.
func TestBootstrapLeavesOutWhatItNeverUses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", "-tags", bootstrapTags, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/goccy/go-json",
		"github.com/aws/aws-sdk-go-v2/config",
		"github.com/aws/aws-sdk-go-v2/service/sso",
		"github.com/aws/aws-sdk-go-v2/service/ssooidc",
		"github.com/aws/aws-sdk-go-v2/service/sts",
		"github.com/aws/aws-sdk-go-v2/service/signin",
		"github.com/aws/aws-sdk-go-v2/feature/ec2/imds",
		"github.com/google/cel-go",
		"modernc.org/sqlite",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				t.Errorf("the bootstrap links %s", pkg)
			}
		}
	}
}

package alert

import (
	"context"
	"testing"
)

// TestLoadDefaultAWSLoadsOnce: the functions share one loader between the sender and their
// own clients, so the SDK's default chain is read once at start: every call gives the same
// configuration (the same credentials cache).
func TestLoadDefaultAWSLoadsOnce(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	load := LoadDefaultAWS(context.Background())
	a, err := load()
	if err != nil {
		t.Fatal(err)
	}
	b, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if a.Credentials == nil || a.Credentials != b.Credentials || b.Region != "eu-west-1" {
		t.Errorf("two loads gave credentials %p and %p (region %q), want one configuration", a.Credentials, b.Credentials, b.Region)
	}
}

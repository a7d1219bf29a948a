package alert

import (
	"context"
	"strings"
	"testing"
	"time"
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

// TestConfigSuppressWindowBounds: SUPPRESS_WINDOW is 0 (no suppression) or at least Lambda's
// longest run, since a flood window outliving its opener is what tells the ledgers the opener
// died; anything else stops the function at start, naming the variable.
func TestConfigSuppressWindowBounds(t *testing.T) {
	for _, tc := range []struct {
		window time.Duration
		ok     bool
	}{
		{0, true},
		{MinSuppressWindow, true},
		{time.Hour, true},
		{-time.Minute, false},
		{time.Second, false},
		{MinSuppressWindow - time.Second, false},
	} {
		err := Config{SuppressWindow: tc.window, FloodCap: 3, DedupeFor: 168 * time.Hour}.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("SUPPRESS_WINDOW %s: error %v, want ok %t", tc.window, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "SUPPRESS_WINDOW") {
			t.Errorf("SUPPRESS_WINDOW %s: error %q does not name the variable", tc.window, err)
		}
	}
}

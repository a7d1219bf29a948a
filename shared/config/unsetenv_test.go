package config

import (
	"os"
	"testing"
)

// unsetenv removes variables for one test; t.Setenv beforehand makes the test restore them.
func unsetenv(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.Unsetenv(n); err != nil {
			t.Fatal(err)
		}
	}
}

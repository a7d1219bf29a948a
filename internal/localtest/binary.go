// Package localtest runs a function's binary as a developer or a CI job would, for the tests
// of local mode: exit status, stdout and stderr.
package localtest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Build builds the main package in the test's working directory and returns the binary.
func Build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(mustGetwd(t)))
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Result is what one run printed and how it ended.
type Result struct {
	Stdout, Stderr string
	Exit           int
}

// Run runs bin with args, the test's environment plus env, and stdin.
func Run(t testing.TB, bin string, args, env []string, stdin string) Result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.Exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", bin, err)
	}
	return res
}

func mustGetwd(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

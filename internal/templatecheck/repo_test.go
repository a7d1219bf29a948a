package templatecheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoPath names a file of the repository; go test runs in this package's
// directory, two levels below the root.
func repoPath(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

// projectTemplates lists the templates every check covers: template.yaml and
// templates/*.yaml.
func projectTemplates(t *testing.T) []string {
	t.Helper()
	more, err := filepath.Glob(repoPath("templates", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{repoPath("template.yaml")}, more...)
}

func mustLoad(t *testing.T, path string) map[string]any {
	t.Helper()
	tpl, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// requireNodeModule stops the test when an npm dependency is not installed:
// under CI=true a missing dependency is a failure, never a skip.
func requireNodeModule(t testing.TB, path string) {
	t.Helper()
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return
	case !errors.Is(err, fs.ErrNotExist):
		t.Fatal(err)
	case os.Getenv("CI") == "true":
		t.Fatalf("%s is missing and CI=true: run `npm ci` in the repository root", path)
	default:
		t.Skipf("%s is missing: run `npm ci` in the repository root to install it", path)
	}
}

// stopRecorder records how a helper would stop a test instead of stopping it.
type stopRecorder struct {
	testing.TB
	stopped string
}

func (r *stopRecorder) Fatal(args ...any) { r.stopped = "fatal: " + fmt.Sprint(args...) }
func (r *stopRecorder) Fatalf(format string, args ...any) {
	r.stopped = "fatal: " + fmt.Sprintf(format, args...)
}
func (r *stopRecorder) Skipf(format string, args ...any) {
	r.stopped = "skip: " + fmt.Sprintf(format, args...)
}

func TestRequireNodeModuleFailsUnderCIAndSkipsElsewhere(t *testing.T) {
	tests := []struct {
		ci, path, want string
	}{
		{"true", "testdata/no-such-module", "fatal: testdata/no-such-module is missing and CI=true: run `npm ci`"},
		{"", "testdata/no-such-module", "skip: testdata/no-such-module is missing: run `npm ci`"},
		{"false", "testdata/no-such-module", "skip: "},
		{"true", "testdata", ""},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		r := &stopRecorder{TB: t}
		requireNodeModule(r, tt.path)
		if !strings.HasPrefix(r.stopped, tt.want) || (tt.want == "") != (r.stopped == "") {
			t.Errorf("CI=%q, %s: stopped with %q, want %q…", tt.ci, tt.path, r.stopped, tt.want)
		}
	}
}

package localtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Event reads a sample event, events/<dir>/<name>, from a test of a package two levels below
// the repository root (functions/<name>, shared/<name>), as all of them are.
func Event(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package localtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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

// envelopeSource is the first "source" key of an event: the envelope's (the record's own is
// eventSource).
var envelopeSource = regexp.MustCompile(`"source":\s*"[^"]*"`)

// EventWithSource is a sample event exactly as recorded, but for its envelope source: the
// forged-source tests put a real CloudTrail record under a source that is not AWS's.
func EventWithSource(t testing.TB, dir, name, source string) []byte {
	t.Helper()
	raw := Event(t, dir, name)
	loc := envelopeSource.FindIndex(raw)
	if loc == nil {
		t.Fatalf("%s: no source", name)
	}
	quoted, err := json.Marshal(source)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte{}, raw[:loc[0]]...)
	out = append(append(out, `"source": `...), quoted...)
	return append(out, raw[loc[1]:]...)
}

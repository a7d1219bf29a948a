package pack_test

import (
	"bytes"
	"os"
	"testing"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/rules"
)

// TestDocPageIsCurrent: docs/rules.md is what the rule files say now.
func TestDocPageIsCurrent(t *testing.T) {
	loaded, err := rules.LoadFS(pack.FS, ".", rules.BuiltinLabel)
	if err != nil {
		t.Fatal(err)
	}
	want := rules.DocPage(loaded, pack.RegenerateDoc)
	got, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatalf("%v: generate it with `%s`", err, pack.RegenerateDoc)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/rules.md is stale (a rule file changed since it was generated): regenerate it with `%s` and commit it", pack.RegenerateDoc)
	}
	for _, r := range loaded {
		if !bytes.Contains(got, []byte("| `"+r.ID+"` |")) {
			t.Errorf("docs/rules.md does not list %s", r.ID)
		}
	}
}

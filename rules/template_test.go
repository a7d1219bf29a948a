package pack

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/internal/templatecheck"
)

// TestTemplateDisabledRulesExist: the template's default DisabledRules names built-in rules
// only; an unknown id would stop the deployed function at start.
func TestTemplateDisabledRulesExist(t *testing.T) {
	tpl, err := templatecheck.Load(filepath.Join("..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	param, _ := tpl["Parameters"].(map[string]any)["DisabledRules"].(map[string]any)
	def, _ := param["Default"].(string)
	ids := map[string]bool{}
	files, err := fs.Glob(FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		ids[strings.TrimSuffix(f, ".yaml")] = true
	}
	for _, id := range strings.Split(def, ",") {
		if id = strings.TrimSpace(id); id != "" && !ids[id] {
			t.Errorf("DisabledRules default names %q, which is not a built-in rule file", id)
		}
	}
}

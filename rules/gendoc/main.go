// Command gendoc writes docs/rules.md, the page that lists every built-in rule, from the rule
// files of the pack. Run it with `go generate ./rules`; rules' tests fail when the committed
// page is stale.
package main

import (
	"flag"
	"fmt"
	"os"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/rules"
)

func main() {
	out := flag.String("o", "../docs/rules.md", "write the page to `FILE`")
	flag.Parse()
	loaded, err := rules.LoadFS(pack.FS, ".", rules.BuiltinLabel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, rules.DocPage(loaded, pack.RegenerateDoc), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
}

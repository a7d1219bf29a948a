// Package pack is trailguard's built-in rule pack: one YAML file per rule, covering the
// monitoring controls of the CIS AWS Foundations Benchmark (section 4 in v1.4–v3.0, 3 in older
// versions). The files are embedded in every binary that runs rules; a team adds its own rules
// with RULES_DIR, or bakes them in by adding files here (they are then tested by make test).
package pack

import "embed"

// FS holds the rule files, at its root.
//
//go:embed *.yaml
var FS embed.FS

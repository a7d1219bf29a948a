// Package pack is trailguard's built-in rule pack: one YAML file per rule. It covers the
// monitoring controls of the CIS AWS Foundations Benchmark (section 4 in v1.4–v3.0, 3 in older
// versions) and the attacks teams see in CloudTrail beyond them, each rule mapped to MITRE
// ATT&CK and carrying a runbook. docs/rules.md lists them (generated: go generate ./rules).
//
// Severity means urgency: HIGH act now (it pages), MEDIUM look today, LOW review (see
// rules.SeverityPolicy). The files are embedded in every binary that runs rules; a team adds
// its own rules with RULES_DIR, or bakes them in by adding files here (they are then tested by
// make test).
package pack

import "embed"

// FS holds the rule files, at its root.
//
//go:embed *.yaml
var FS embed.FS

// RegenerateDoc is the command that rewrites docs/rules.md from the rule files.
const RegenerateDoc = "go generate ./rules"

//go:generate go run ./gendoc -o ../docs/rules.md

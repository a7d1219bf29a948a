package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadDir reads the rule files (*.yaml, *.yml) directly inside dir.
func LoadDir(dir string) ([]*Rule, error) { return loadDir(dir, true) }

func loadDir(dir string, withTests bool) ([]*Rule, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	return loadFS(os.DirFS(dir), ".", dir, withTests)
}

// LoadFS reads the rule files directly inside dir of fsys, in name order. label prefixes the
// file names in errors and in Rule.File (the directory as the user knows it). Every problem
// found is reported, not only the first.
func LoadFS(fsys fs.FS, dir, label string) ([]*Rule, error) { return loadFS(fsys, dir, label, true) }

// loadFS is LoadFS; without tests it leaves each rule's tests out before parsing (see
// stripTests), which is most of a rule file and of the time to read it.
func loadFS(fsys fs.FS, dir, label string, withTests bool) ([]*Rule, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read rules directory %s: %w", label, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []*Rule
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", path.Join(label, name), err))
			continue
		}
		if !withTests {
			data = stripTests(data)
		}
		rules, err := Parse(data, path.Join(label, name))
		errs = append(errs, err)
		out = append(out, rules...)
	}
	return out, errors.Join(errs...)
}

// Parse reads the rules of one file: one rule per YAML document (separate them with ---).
func Parse(data []byte, file string) ([]*Rule, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var out []*Rule
	var errs []error
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
			break // the rest of the file cannot be framed
		}
		if len(doc.Content) == 0 {
			continue
		}
		r, err := parseRule(doc.Content[0], file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: holds no rule", file))
	}
	return out, errors.Join(errs...)
}

var (
	ruleKeys = keysOf("id", "title", "severity", "description", "attack", "runbook", "when", "fingerprint", "threshold", "window", "distinct", "tally", "tests")
	testKeys = keysOf("name", "expect", "event")
)

func keysOf(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func parseRule(n *yaml.Node, file string) (*Rule, error) {
	r := &Rule{File: file, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return nil, r.errorf("want a mapping with id, title, severity, when, tests …")
	}
	// The id first, so every later error names the rule.
	if v := mappingValue(n, "id"); v != nil {
		r.ID = v.Value
	}
	if err := unknownKeys(n, ruleKeys); err != nil {
		return nil, r.errorf("%v", err)
	}
	if err := n.Decode(r); err != nil {
		return nil, r.errorf("%v", err)
	}
	r.File, r.Line = file, n.Line
	if tests := mappingValue(n, "tests"); tests != nil && tests.Kind == yaml.SequenceNode {
		for i, t := range tests.Content {
			if err := unknownKeys(t, testKeys); err != nil {
				return nil, r.errorf("tests[%d]: %v", i, err)
			}
			r.Tests[i].Line = t.Line
		}
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return r, nil
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// unknownKeys rejects a misspelt key (fingerprints:, expected:) instead of ignoring it.
func unknownKeys(n *yaml.Node, known map[string]bool) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !known[k] {
			return fmt.Errorf("line %d: unknown key %q", n.Content[i].Line, k)
		}
	}
	return nil
}

// stripTests removes every top-level "tests:" entry of a rule file (the key at column 0 and
// the lines under it, up to the next top-level key or document marker). Running rules needs
// no test events, and parsing them is most of the start-up time. The pack's tests check that
// the pack reads the same with and without.
func stripTests(data []byte) []byte {
	var out []byte
	skipping := false
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		topLevel := len(line) > 0 && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '\n' && line[0] != '\r' &&
			(line[0] != '-' || bytes.HasPrefix(line, []byte("---")))
		switch {
		case bytes.HasPrefix(line, []byte("tests:")):
			skipping = true
			continue
		case topLevel:
			skipping = false
		}
		if !skipping {
			out = append(out, line...)
		}
	}
	return out
}

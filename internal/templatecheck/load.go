package templatecheck

import (
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Load reads a CloudFormation or SAM template (YAML, or JSON, which is YAML)
// and returns it as plain Go values: maps, slices, strings, ints, float64s,
// bools and nils, with short-form intrinsics (!Ref, !Sub, …) in their long form
// ({"Ref": …}, {"Fn::Sub": …}), exactly as CloudFormation reads the template.
func Load(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	tpl, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	return tpl, nil
}

// Parse is Load for a template already in memory. It rejects what
// CloudFormation rejects and a plain YAML decoder would accept: duplicate keys,
// aliases, merge keys and unknown tags.
func Parse(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("template is empty")
	}
	v, err := convert(doc.Content[0])
	if err != nil {
		return nil, err
	}
	tpl, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("line %d: template is a %T, want a mapping", doc.Content[0].Line, v)
	}
	return tpl, nil
}

// convert turns one YAML node into plain Go values.
func convert(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("line %d: alias *%s: CloudFormation does not support YAML aliases", n.Line, n.Value)
	}
	if isCustomTag(n.Tag) {
		return convertShortForm(n)
	}
	return convertUntagged(n)
}

// convertUntagged converts a node as if it carried no custom tag, which is how
// the argument of a short-form intrinsic is read.
func convertUntagged(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return convertMapping(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := convert(item)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		return convertScalar(n)
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
	}
}

func convertMapping(n *yaml.Node) (map[string]any, error) {
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isCustomTag(k.Tag) {
			return nil, fmt.Errorf("line %d: mapping key must be a plain string", k.Line)
		}
		if k.ShortTag() == "!!merge" {
			return nil, fmt.Errorf("line %d: merge key <<: CloudFormation does not support YAML merge keys", k.Line)
		}
		if _, dup := m[k.Value]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		val, err := convert(v)
		if err != nil {
			return nil, err
		}
		m[k.Value] = val
	}
	return m, nil
}

func convertScalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!int":
		var i int
		if err := n.Decode(&i); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return i, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return f, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!null":
		return nil, nil
	case "!!str", "!!timestamp":
		// CloudFormation reads an unquoted date (AWSTemplateFormatVersion:
		// 2010-09-09) as the string it spells.
		return n.Value, nil
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML type %s", n.Line, n.ShortTag())
	}
}

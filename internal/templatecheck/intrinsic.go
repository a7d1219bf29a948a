package templatecheck

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// shortForms maps each short-form intrinsic tag CloudFormation's YAML accepts
// to the key of its long form.
var shortForms = map[string]string{
	"!Ref":         "Ref",
	"!Condition":   "Condition",
	"!Sub":         "Fn::Sub",
	"!GetAtt":      "Fn::GetAtt",
	"!If":          "Fn::If",
	"!Equals":      "Fn::Equals",
	"!Not":         "Fn::Not",
	"!And":         "Fn::And",
	"!Or":          "Fn::Or",
	"!Join":        "Fn::Join",
	"!Select":      "Fn::Select",
	"!Split":       "Fn::Split",
	"!FindInMap":   "Fn::FindInMap",
	"!Base64":      "Fn::Base64",
	"!Cidr":        "Fn::Cidr",
	"!GetAZs":      "Fn::GetAZs",
	"!ImportValue": "Fn::ImportValue",
}

// isCustomTag reports whether a node carries a local tag (!Ref) rather than
// none or a standard YAML one (!!str).
func isCustomTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// convertShortForm turns a node tagged with a short-form intrinsic into its
// long form: !Ref X → {"Ref": "X"}, !GetAtt A.B → {"Fn::GetAtt": ["A", "B"]}.
func convertShortForm(n *yaml.Node) (map[string]any, error) {
	key, ok := shortForms[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	var arg any
	if n.Kind == yaml.ScalarNode {
		// The argument of a short form is read as written: !Ref 123 names
		// the logical ID "123", !GetAZs '' is the empty string.
		arg = n.Value
	} else {
		var err error
		if arg, err = convertUntagged(n); err != nil {
			return nil, err
		}
	}
	switch n.Tag {
	case "!Ref", "!Condition":
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: %s takes a name, not a %T", n.Line, n.Tag, arg)
		}
	case "!GetAtt":
		if n.Kind == yaml.ScalarNode {
			// The attribute may itself contain dots (Endpoint.Address): split
			// at the first one only.
			resource, attribute, found := strings.Cut(n.Value, ".")
			if !found || resource == "" || attribute == "" {
				return nil, fmt.Errorf("line %d: !GetAtt %q: want Resource.Attribute", n.Line, n.Value)
			}
			arg = []any{resource, attribute}
		}
	}
	return map[string]any{key: arg}, nil
}

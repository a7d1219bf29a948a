package templatecheck

import (
	"fmt"
	"regexp"
	"strings"
)

// reference is one place where a template names a parameter, resource,
// condition or mapping.
type reference struct {
	path      string // where it is, e.g. Resources.Fn.Properties.Role
	kind      string // Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::FindInMap, Condition, DependsOn
	name      string
	attribute string // the attribute of Fn::GetAtt and ${Name.Attribute}, when literal
}

// subVariable matches ${Name}, ${Name.Attribute} and the literal ${!Text}.
var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// conditionFunctions take conditions, which may be named as {"Condition": X}.
var conditionFunctions = map[string]bool{"Fn::And": true, "Fn::Or": true, "Fn::Not": true}

// references returns every reference in the template, and a problem for every
// intrinsic call whose arguments do not have the form CloudFormation requires.
func references(tpl map[string]any) (refs []reference, problems []string) {
	var walk func(path string, v any, inCondition bool)
	walk = func(path string, v any, inCondition bool) {
		switch x := v.(type) {
		case []any:
			for i, item := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), item, inCondition)
			}
		case map[string]any:
			if c, ok := x["Condition"]; ok && len(x) == 1 && inCondition {
				refs = append(refs, reference{path: path, kind: "Condition", name: str(c)})
				return
			}
			name, arg, ok := intrinsic(x)
			if !ok {
				for k, item := range x {
					walk(path+"."+k, item, false)
				}
				return
			}
			found, bad := intrinsicReferences(path, name, arg)
			refs, problems = append(refs, found...), append(problems, bad...)
			walk(path+"."+name, arg, conditionFunctions[name])
		}
	}
	for section, v := range tpl {
		walk(section, v, section == "Conditions")
	}
	refs = append(refs, attributeReferences(tpl)...)
	return refs, problems
}

// intrinsicReferences returns what one intrinsic call names.
func intrinsicReferences(path, name string, arg any) (refs []reference, problems []string) {
	list, _ := arg.([]any)
	switch name {
	case "Ref":
		if s, ok := arg.(string); ok {
			return []reference{{path: path, kind: name, name: s}}, nil
		}
		return nil, []string{fmt.Sprintf("%s: Ref takes a name, not %v", path, arg)}
	case "Fn::GetAtt":
		if len(list) == 2 && str(list[0]) != "" {
			return []reference{{path: path, kind: name, name: str(list[0]), attribute: str(list[1])}}, nil
		}
		return nil, []string{fmt.Sprintf("%s: Fn::GetAtt takes [Resource, Attribute], not %v", path, arg)}
	case "Fn::If":
		if len(list) == 3 && str(list[0]) != "" {
			return []reference{{path: path, kind: name, name: str(list[0])}}, nil
		}
		return nil, []string{fmt.Sprintf("%s: Fn::If takes [Condition, IfTrue, IfFalse], not %v", path, arg)}
	case "Fn::FindInMap":
		if len(list) == 3 && str(list[0]) != "" {
			return []reference{{path: path, kind: name, name: str(list[0])}}, nil
		}
		return nil, nil // the map name may itself be an intrinsic
	case "Fn::Sub":
		return subReferences(path, arg)
	}
	return nil, nil
}

// subReferences returns the names in a Fn::Sub string that its own variable
// map does not define.
func subReferences(path string, arg any) (refs []reference, problems []string) {
	text, ok := arg.(string)
	var vars map[string]any
	if list, isList := arg.([]any); isList && len(list) == 2 {
		text, ok = list[0].(string)
		vars, _ = list[1].(map[string]any)
	}
	if !ok {
		return nil, []string{fmt.Sprintf("%s: Fn::Sub takes a string or [String, Variables], not %v", path, arg)}
	}
	for _, m := range subVariable.FindAllStringSubmatch(text, -1) {
		v := m[1]
		if _, defined := vars[v]; defined || strings.HasPrefix(v, "!") {
			continue
		}
		name, attribute, _ := strings.Cut(v, ".")
		refs = append(refs, reference{path: path, kind: "Fn::Sub", name: name, attribute: attribute})
	}
	return refs, nil
}

// attributeReferences returns the conditions and resources named by the
// Condition and DependsOn attributes of resources and outputs.
func attributeReferences(tpl map[string]any) []reference {
	var refs []reference
	for _, section := range []string{"Resources", "Outputs"} {
		entries, _ := tpl[section].(map[string]any)
		for id, e := range entries {
			entry, _ := e.(map[string]any)
			path := section + "." + id
			if c, ok := entry["Condition"].(string); ok {
				refs = append(refs, reference{path: path + ".Condition", kind: "Condition", name: c})
			}
			deps, ok := entry["DependsOn"].([]any)
			if !ok {
				deps = []any{entry["DependsOn"]}
			}
			for _, d := range deps {
				if s, ok := d.(string); ok {
					refs = append(refs, reference{path: path + ".DependsOn", kind: "DependsOn", name: s})
				}
			}
		}
	}
	return refs
}

package templatecheck

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// deployment is a template with its parameter values, as CloudFormation would
// deploy it: conditions evaluated, Fn::If chosen, parameters and pseudo
// parameters substituted, AWS::NoValue removed. References to resources stay
// as written ({"Ref": X}, {"Fn::GetAtt": [X, A]}, ${X.A} in Fn::Sub), so tests
// can follow them. It understands the intrinsics the project's templates use
// in values that tests evaluate; anything else is left as written.
type deployment struct {
	t      testing.TB
	tpl    map[string]any
	params map[string]string
}

// pseudo are the pseudo parameters of a test deployment; AWS::Region may be
// overridden through the parameter values ("AWS::Region": "eu-west-1").
var pseudo = map[string]string{
	"AWS::Partition": "aws",
	"AWS::AccountId": "111111111111",
	"AWS::Region":    "us-east-1",
	"AWS::StackName": "trailguard",
	"AWS::URLSuffix": "amazonaws.com",
}

// deploy returns the deployment of tpl with the given parameter values; the
// rest take their defaults. A parameter without default or value stops the test.
func deploy(t testing.TB, tpl map[string]any, values map[string]string) *deployment {
	t.Helper()
	d := &deployment{t: t, tpl: tpl, params: map[string]string{}}
	for k, v := range pseudo {
		d.params[k] = v
	}
	params, _ := tpl["Parameters"].(map[string]any)
	for name, p := range params {
		def, ok := p.(map[string]any)["Default"]
		if ok {
			d.params[name] = fmt.Sprint(def)
		}
	}
	for k, v := range values {
		if _, known := params[k]; !known && pseudo[k] == "" {
			t.Fatalf("deploy: no parameter %s", k)
		}
		d.params[k] = v
	}
	for name := range params {
		if _, ok := d.params[name]; !ok {
			t.Fatalf("deploy: parameter %s has no default: give it a value", name)
		}
	}
	return d
}

// noValue is what AWS::NoValue resolves to before it is dropped.
type noValueType struct{}

var noValue = noValueType{}

// condition evaluates a named condition of the template.
func (d *deployment) condition(name string) bool {
	conds, _ := d.tpl["Conditions"].(map[string]any)
	c, ok := conds[name]
	if !ok {
		d.t.Fatalf("no condition %s", name)
	}
	return d.evalCondition(c)
}

func (d *deployment) evalCondition(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		d.t.Fatalf("condition %v: want one condition function", v)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			return d.condition(arg.(string))
		case "Fn::Equals":
			return fmt.Sprint(d.resolve(args[0])) == fmt.Sprint(d.resolve(args[1]))
		case "Fn::Not":
			return !d.evalCondition(args[0])
		case "Fn::And":
			for _, a := range args {
				if !d.evalCondition(a) {
					return false
				}
			}
			return true
		case "Fn::Or":
			for _, a := range args {
				if d.evalCondition(a) {
					return true
				}
			}
			return false
		}
		d.t.Fatalf("condition function %s is not understood", fn)
	}
	return false
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// resolve evaluates the intrinsics of v.
func (d *deployment) resolve(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, item := range x {
			if r := d.resolve(item); r != noValue {
				out = append(out, r)
			}
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for fn, arg := range x {
				if r, ok := d.intrinsic(fn, arg); ok {
					return r
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, item := range x {
			if r := d.resolve(item); r != noValue {
				out[k] = r
			}
		}
		return out
	default:
		return v
	}
}

// intrinsic evaluates one intrinsic call; ok is false for what is not one, or
// stays as written (a reference to a resource).
func (d *deployment) intrinsic(fn string, arg any) (any, bool) {
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		name := arg.(string)
		if name == "AWS::NoValue" {
			return noValue, true
		}
		if v, ok := d.params[name]; ok {
			return v, true
		}
		return nil, false
	case "Fn::If":
		if d.condition(args[0].(string)) {
			return d.resolve(args[1]), true
		}
		return d.resolve(args[2]), true
	case "Fn::Sub":
		text, vars := arg, map[string]any{}
		if len(args) == 2 {
			text = args[0]
			vars, _ = d.resolve(args[1]).(map[string]any)
		}
		return subVar.ReplaceAllStringFunc(text.(string), func(m string) string {
			name := m[2 : len(m)-1]
			if v, ok := vars[name]; ok {
				return fmt.Sprint(v)
			}
			if v, ok := d.params[name]; ok {
				return v
			}
			return m // a resource's attribute: left as written
		}), true
	case "Fn::Join":
		parts, _ := d.resolve(args[1]).([]any)
		s := make([]string, len(parts))
		for i, p := range parts {
			s[i] = fmt.Sprint(p)
		}
		return strings.Join(s, args[0].(string)), true
	case "Fn::Split":
		s, ok := d.resolve(args[1]).(string)
		if !ok {
			return nil, false
		}
		var out []any
		for _, part := range strings.Split(s, args[0].(string)) {
			out = append(out, part)
		}
		return out, true
	case "Fn::Select":
		list, _ := d.resolve(args[1]).([]any)
		var i int
		fmt.Sscan(fmt.Sprint(args[0]), &i)
		return list[i], true
	}
	return nil, false
}

// resources returns the resources of type typ the deployment creates (their
// Condition holds), each resolved.
func (d *deployment) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, res := range Resources(d.tpl, typ) {
		if c, ok := res["Condition"].(string); ok && !d.condition(c) {
			continue
		}
		out[id] = d.resolve(res).(map[string]any)
	}
	return out
}

func TestDeploymentResolvesIntrinsics(t *testing.T) {
	tpl, err := Parse([]byte(`
Parameters:
  List: {Type: String, Default: "a,b"}
  Name: {Type: String}
Conditions:
  HasName: !Not [!Equals [!Ref Name, ""]]
  Both: !And [!Condition HasName, !Equals [!Ref List, "a,b"]]
Resources:
  R:
    Type: T
    Condition: HasName
    Properties:
      Sub: !Sub arn:${AWS::Partition}:x:${AWS::Region}:${Name}:${Other.Arn}
      SubVars: !Sub ["${A}-${Name}", {A: !Select [1, !Split [",", !Ref List]]}]
      Join: !Join ["/", [!Ref Name, !Ref AWS::AccountId]]
      If: !If [Both, yes, !Ref AWS::NoValue]
      List: [!If [HasName, !Ref AWS::NoValue, x], !Ref Other]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := deploy(t, tpl, map[string]string{"Name": "n", "AWS::Region": "eu-west-1"}).resources("T")["R"]["Properties"]
	want := map[string]any{
		"Sub":     "arn:aws:x:eu-west-1:n:${Other.Arn}",
		"SubVars": "b-n",
		"Join":    "n/111111111111",
		"If":      "yes",
		"List":    []any{map[string]any{"Ref": "Other"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if got := deploy(t, tpl, map[string]string{"Name": ""}).resources("T"); len(got) != 0 {
		t.Errorf("condition HasName false: got %v, want no resource", got)
	}
}

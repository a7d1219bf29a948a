package templatecheck

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// cfnSpecPath is the CloudFormation resource specification that npm package
// @aws-cdk/cfnspec ships (installed by `npm ci` from the committed lockfile).
var cfnSpecPath = repoPath("node_modules", "@aws-cdk", "cfnspec", "spec", "specification.json")

// cfnSpec is the part of the CloudFormation resource specification the
// checks read.
type cfnSpec struct {
	ResourceTypes map[string]specType
	PropertyTypes map[string]specType
}

// specType describes a resource type or a property type. A few property types
// are not objects but aliases of a list; their embedded specProp says so.
type specType struct {
	Properties map[string]specProp
	Attributes map[string]json.RawMessage
	specProp
}

// specProp describes one property's value.
type specProp struct {
	Required          bool
	PrimitiveType     string // String, Integer, Long, Double, Boolean, Json, Timestamp
	Type              string // List, Map, or a property type's name
	ItemType          string
	PrimitiveItemType string
	// Values that may take one of several types; the checks accept any.
	PrimitiveTypes, Types, PrimitiveItemTypes, ItemTypes []string
}

func (p specProp) isUnion() bool {
	return len(p.PrimitiveTypes)+len(p.Types)+len(p.PrimitiveItemTypes)+len(p.ItemTypes) > 0
}

var loadCfnSpec = sync.OnceValues(func() (*cfnSpec, error) {
	data, err := os.ReadFile(cfnSpecPath)
	if err != nil {
		return nil, err
	}
	var spec cfnSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", cfnSpecPath, err)
	}
	return &spec, nil
})

func requireCfnSpec(t *testing.T) *cfnSpec {
	t.Helper()
	requireNodeModule(t, cfnSpecPath)
	spec, err := loadCfnSpec()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// resourceAttributes are the keys a resource entry may have besides its
// properties.
var resourceAttributes = map[string]bool{
	"Type": true, "Properties": true, "Condition": true, "DependsOn": true, "Metadata": true,
	"DeletionPolicy": true, "UpdateReplacePolicy": true, "CreationPolicy": true, "UpdatePolicy": true,
}

// specChecker checks CloudFormation resources against the specification.
type specChecker struct {
	spec     *cfnSpec
	problems []string
}

func (c *specChecker) report(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

// checkCfnSpec reports, for every CloudFormation resource (AWS::* but not
// AWS::Serverless::*, which the SAM schema covers): an unknown type, unknown
// resource attributes and properties, missing required properties, literal
// values of the wrong type, and Fn::GetAtt of attributes the type does not
// have. An intrinsic function is accepted wherever a value may stand.
func checkCfnSpec(tpl map[string]any, spec *cfnSpec) []string {
	c := &specChecker{spec: spec}
	resources, _ := tpl["Resources"].(map[string]any)
	for id, r := range resources {
		res, _ := r.(map[string]any)
		typ := str(res["Type"])
		if !strings.HasPrefix(typ, "AWS::") || strings.HasPrefix(typ, "AWS::Serverless::") {
			continue
		}
		path := "Resources." + id
		rt, ok := spec.ResourceTypes[typ]
		if !ok {
			c.report(path, "resource type %s is not in the CloudFormation specification", typ)
			continue
		}
		for key := range res {
			if !resourceAttributes[key] {
				c.report(path, "unknown resource attribute %s", key)
			}
		}
		c.checkObject(path+".Properties", typ, rt.Properties, res["Properties"])
	}
	c.checkAttributes(tpl)
	sort.Strings(c.problems)
	return c.problems
}

// checkObject checks the properties of a resource or of a property type.
func (c *specChecker) checkObject(path, resourceType string, props map[string]specProp, v any) {
	if _, _, ok := intrinsic(v); ok {
		return
	}
	obj, ok := v.(map[string]any)
	if v != nil && !ok {
		c.wrongType(path, v, "an object")
		return
	}
	for name, val := range obj {
		p, known := props[name]
		if !known {
			c.report(path, "unknown property %s", name)
			continue
		}
		c.checkValue(path+"."+name, resourceType, p, val)
	}
	for name, p := range props {
		if _, set := obj[name]; p.Required && !set {
			c.report(path, "missing required property %s", name)
		}
	}
}

func (c *specChecker) checkValue(path, resourceType string, p specProp, v any) {
	if _, _, ok := intrinsic(v); ok || p.isUnion() {
		return
	}
	switch {
	case p.PrimitiveType != "":
		c.checkPrimitive(path, p.PrimitiveType, v)
	case p.Type == "List":
		list, ok := v.([]any)
		if !ok {
			c.wrongType(path, v, "a list")
			return
		}
		for i, item := range list {
			c.checkItem(fmt.Sprintf("%s[%d]", path, i), resourceType, p, item)
		}
	case p.Type == "Map":
		m, ok := v.(map[string]any)
		if !ok {
			c.wrongType(path, v, "a map")
			return
		}
		for k, item := range m {
			c.checkItem(path+"."+k, resourceType, p, item)
		}
	case p.Type != "":
		c.checkNamed(path, resourceType, p.Type, v)
	}
}

func (c *specChecker) checkItem(path, resourceType string, p specProp, v any) {
	if _, _, ok := intrinsic(v); ok {
		return
	}
	if p.PrimitiveItemType != "" {
		c.checkPrimitive(path, p.PrimitiveItemType, v)
	} else if p.ItemType != "" {
		c.checkNamed(path, resourceType, p.ItemType, v)
	}
}

// checkNamed checks a value of a property type: the resource type's own
// (AWS::Events::Rule.Target) or a shared one (Tag).
func (c *specChecker) checkNamed(path, resourceType, name string, v any) {
	pt, ok := c.spec.PropertyTypes[resourceType+"."+name]
	if !ok {
		pt, ok = c.spec.PropertyTypes[name]
	}
	if !ok {
		c.report(path, "property type %s of %s is not in the specification", name, resourceType)
		return
	}
	if pt.Type != "" || pt.PrimitiveType != "" {
		c.checkValue(path, resourceType, pt.specProp, v)
		return
	}
	c.checkObject(path, resourceType, pt.Properties, v)
}

// checkPrimitive accepts what CloudFormation converts: any scalar for a
// String, numeric strings for numbers, "true"/"false" for a Boolean.
func (c *specChecker) checkPrimitive(path, primitive string, v any) {
	if _, _, ok := intrinsic(v); ok {
		return
	}
	s, isString := v.(string)
	var ok bool
	switch primitive {
	case "String", "Timestamp":
		switch v.(type) {
		case string, int, float64, bool:
			ok = true
		}
	case "Integer", "Long":
		_, isInt := v.(int)
		_, err := strconv.ParseInt(s, 10, 64)
		ok = isInt || isString && err == nil
	case "Double":
		_, isFloat := v.(float64)
		_, isInt := v.(int)
		_, err := strconv.ParseFloat(s, 64)
		ok = isFloat || isInt || isString && err == nil
	case "Boolean":
		_, isBool := v.(bool)
		ok = isBool || s == "true" || s == "false"
	case "Json":
		switch v.(type) {
		case map[string]any, []any:
			ok = true
		case string:
			ok = json.Valid([]byte(s))
		}
	default:
		c.report(path, "primitive type %s is unknown to this check", primitive)
		return
	}
	if !ok {
		c.wrongType(path, v, "a "+primitive)
	}
}

// wrongType reports a literal value of the wrong type, shown as JSON.
func (c *specChecker) wrongType(path string, v any, want string) {
	text, err := json.Marshal(v)
	if err != nil {
		text = []byte(fmt.Sprint(v))
	}
	c.report(path, "%s is not %s", text, want)
}

// samAttributeTypes maps the SAM types whose attributes are checked to the
// CloudFormation type that provides them.
var samAttributeTypes = map[string]string{"AWS::Serverless::Function": "AWS::Lambda::Function"}

// checkAttributes reports Fn::GetAtt and ${Resource.Attribute} of attributes
// the resource's type does not have. A SAM function is checked as the
// AWS::Lambda::Function it becomes; other SAM types are left to SAM.
func (c *specChecker) checkAttributes(tpl map[string]any) {
	types := samGenerated(tpl)
	resources, _ := tpl["Resources"].(map[string]any)
	for id, r := range resources {
		res, _ := r.(map[string]any)
		types[id] = str(res["Type"])
	}
	refs, _ := references(tpl)
	for _, r := range refs {
		typ := types[r.name]
		if t, ok := samAttributeTypes[typ]; ok {
			typ = t
		}
		rt, known := c.spec.ResourceTypes[typ]
		if r.attribute == "" || !known {
			continue
		}
		if _, ok := rt.Attributes[r.attribute]; !ok {
			c.report(r.path, "%s has no attribute %s (%s.%s)", typ, r.attribute, r.name, r.attribute)
		}
	}
}

func TestTemplatesMatchCloudFormationSpec(t *testing.T) {
	spec := requireCfnSpec(t)
	for _, path := range projectTemplates(t) {
		t.Run(path, func(t *testing.T) {
			for _, p := range checkCfnSpec(mustLoad(t, path), spec) {
				t.Error(p)
			}
		})
	}
}

func TestCheckCfnSpecReportsMistakes(t *testing.T) {
	spec := requireCfnSpec(t)
	got := checkCfnSpec(mustLoad(t, "testdata/bad-cfnspec.yaml"), spec)
	want := []string{
		`Resources.Alarm.Properties.AlarmDescription: AWS::Lambda::Function has no attribute Name (Fn.Name)`,
		`Resources.Alarm.Properties.EvaluationPeriods: "one" is not a Integer`,
		`Resources.Alarm.Properties.OKActions[0]: AWS::SQS::Queue has no attribute Url (Queue.Url)`,
		`Resources.Alarm.Properties.Threshold: "zero" is not a Double`,
		`Resources.Alarm.Properties: missing required property ComparisonOperator`,
		`Resources.Alarm.Properties: unknown property Perod`,
		`Resources.Bucket: resource type AWS::S3::Buckett is not in the CloudFormation specification`,
		`Resources.Key.Properties.EnableKeyRotation: "yes" is not a Boolean`,
		`Resources.Key.Properties: missing required property KeyPolicy`,
		`Resources.Queue: unknown resource attribute Propertiess`,
		`Resources.Table.Properties.KeySchema: {"AttributeName":"pk","KeyType":"HASH"} is not a list`,
		`Resources.Table.Properties.PointInTimeRecoverySpecification: unknown property Enabled`,
		`Resources.Table.Properties.Tags[0].Value: ["a","b"] is not a String`,
		`Resources.Table.Properties.Tags[1]: missing required property Value`,
		`Resources.Table.Properties.TimeToLiveSpecification.Enabled: 1 is not a Boolean`,
	}
	assertProblems(t, got, want)
}

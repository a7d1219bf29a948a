package templatecheck

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTurnsShortFormsIntoLongForms(t *testing.T) {
	tests := []struct {
		yaml string
		want any
	}{
		{`!Ref Topic`, map[string]any{"Ref": "Topic"}},
		{`!Ref AWS::Region`, map[string]any{"Ref": "AWS::Region"}},
		{`!Condition IsProd`, map[string]any{"Condition": "IsProd"}},
		{`!Sub arn:${AWS::Partition}:sns`, map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sns"}},
		{`!Sub ["${A}", {A: !Ref B}]`, map[string]any{"Fn::Sub": []any{"${A}", map[string]any{"A": map[string]any{"Ref": "B"}}}}},
		{`!GetAtt Table.Arn`, map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}},
		{`!GetAtt Db.Endpoint.Address`, map[string]any{"Fn::GetAtt": []any{"Db", "Endpoint.Address"}}},
		{`!GetAtt [Table, Arn]`, map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}},
		{`!GetAtt [Table, !Ref Attr]`, map[string]any{"Fn::GetAtt": []any{"Table", map[string]any{"Ref": "Attr"}}}},
		{`!If [C, 1, !Ref AWS::NoValue]`, map[string]any{"Fn::If": []any{"C", 1, map[string]any{"Ref": "AWS::NoValue"}}}},
		{`!Equals [!Ref P, ""]`, map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "P"}, ""}}},
		{`!Not [!Equals [a, b]]`, map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{"a", "b"}}}}},
		{`!And [!Condition A, !Condition B]`, map[string]any{"Fn::And": []any{map[string]any{"Condition": "A"}, map[string]any{"Condition": "B"}}}},
		{`!Or [{Condition: A}, !Equals [x, y]]`, map[string]any{"Fn::Or": []any{map[string]any{"Condition": "A"}, map[string]any{"Fn::Equals": []any{"x", "y"}}}}},
		{`!Join [",", [a, b]]`, map[string]any{"Fn::Join": []any{",", []any{"a", "b"}}}},
		{`!Select [0, !GetAZs ""]`, map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::GetAZs": ""}}}},
		{`!Split [",", !Ref L]`, map[string]any{"Fn::Split": []any{",", map[string]any{"Ref": "L"}}}},
		{`!FindInMap [M, !Ref AWS::Region, K]`, map[string]any{"Fn::FindInMap": []any{"M", map[string]any{"Ref": "AWS::Region"}, "K"}}},
		{`!Base64 hello`, map[string]any{"Fn::Base64": "hello"}},
		{`!Base64 {Fn::Sub: x}`, map[string]any{"Fn::Base64": map[string]any{"Fn::Sub": "x"}}},
		{`!Cidr [10.0.0.0/16, 4, 8]`, map[string]any{"Fn::Cidr": []any{"10.0.0.0/16", 4, 8}}},
		{`!GetAZs us-east-1`, map[string]any{"Fn::GetAZs": "us-east-1"}},
		{`!ImportValue shared-vpc`, map[string]any{"Fn::ImportValue": "shared-vpc"}},
		// Scalars keep their YAML types; a short form's scalar argument is a string.
		{`!Ref 123`, map[string]any{"Ref": "123"}},
		{`[1, 1.5, true, "true", null, 2010-09-09, text]`, []any{1, 1.5, true, "true", nil, "2010-09-09", "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			tpl, err := Parse([]byte("v: " + tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl["v"]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseRejectsWhatCloudFormationRejects(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"unknown tag", "a: !Reff X", "line 1: unknown tag !Reff"},
		{"language extension tag", "a: !Length [1]", "unknown tag !Length"},
		{"Ref of a list", "a: !Ref [X]", "!Ref takes a name"},
		{"GetAtt without attribute", "a: !GetAtt Table", `!GetAtt "Table": want Resource.Attribute`},
		{"GetAtt with empty attribute", "a: !GetAtt Table.", "want Resource.Attribute"},
		{"alias", "a: &x 1\nb: *x", "line 2: alias *x"},
		{"merge key", "a: &x {k: 1}\nb:\n  <<: {k: 2}", "merge key"},
		{"duplicate key", "Resources:\n  A: 1\n  A: 2", `line 3: duplicate key "A"`},
		{"tagged key", "!Ref a: 1", "mapping key must be a plain string"},
		{"not a mapping", "- a\n- b", "want a mapping"},
		{"empty", "", "template is empty"},
		{"bad YAML", "a: [1", "did not find expected"},
		{"binary", "a: !!binary aGk=", "unsupported YAML type !!binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	_, err := Load("testdata/no-such-template.yaml")
	if err == nil || !strings.Contains(err.Error(), "no-such-template.yaml") {
		t.Errorf("got error %v, want one naming the file", err)
	}
	_, err = Load("testdata/bad-tag.yaml")
	if err == nil || !strings.Contains(err.Error(), "testdata/bad-tag.yaml: line 4: unknown tag !GetAttr") {
		t.Errorf("got error %v, want one naming the file, line and tag", err)
	}
}

func TestResourcesSelectsByType(t *testing.T) {
	tpl, err := Parse([]byte(`
Resources:
  A: {Type: AWS::DynamoDB::Table, Properties: {BillingMode: PAY_PER_REQUEST}}
  B: {Type: AWS::SQS::Queue}
  C: {Type: AWS::DynamoDB::Table}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := Resources(tpl, "AWS::DynamoDB::Table")
	if len(got) != 2 || got["A"] == nil || got["C"] == nil {
		t.Fatalf("got %v, want resources A and C", got)
	}
	if props := got["A"]["Properties"].(map[string]any); props["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("A's properties = %v, want the whole resource entry", props)
	}
	if got := Resources(map[string]any{}, "AWS::SQS::Queue"); len(got) != 0 {
		t.Errorf("template without Resources: got %v, want none", got)
	}
}

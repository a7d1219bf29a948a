package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestEventFields: the record's fields read under CloudTrail's names, absent ones as their
// default, and has() tells absent from present.
func TestEventFields(t *testing.T) {
	role := record(t, assumedRoleRecord)
	user := record(t, iamUserRecord)
	tests := []struct {
		name string
		expr string
		user bool // evaluate on the IAM-user record instead of the assumed-role one
		want bool
	}{
		{"top-level strings", `event.eventName == "StopLogging" && event.eventSource == "cloudtrail.amazonaws.com" && event.awsRegion == "us-east-1"`, false, true},
		{"absent string reads empty", `event.errorCode == "" && event.vpcEndpointId == ""`, false, true},
		{"has() on an absent string", `has(event.errorCode)`, false, false},
		{"has() on a present string", `has(event.errorCode)`, true, true},
		{"identity fields", `event.userIdentity.type == "AssumedRole" && event.userIdentity.accountId == "111122223333"`, false, true},
		{"session issuer", `event.userIdentity.sessionContext.sessionIssuer.userName == "Admin"`, false, true},
		{"CloudTrail's \"true\" string is a bool", `event.userIdentity.sessionContext.attributes.mfaAuthenticated`, false, true},
		{"fields of an absent object read as defaults", `event.userIdentity.sessionContext.sessionIssuer.arn == "" && !event.userIdentity.sessionContext.attributes.mfaAuthenticated`, true, true},
		{"has() on an absent object", `has(event.userIdentity.sessionContext)`, true, false},
		{"has() on a present object", `has(event.userIdentity.sessionContext.attributes)`, false, true},
		{"bools", `!event.readOnly && event.managementEvent`, false, true},
		{"has() on an absent bool", `has(event.readOnly)`, true, false},
		{"has() on a false bool", `has(event.readOnly)`, false, true},
		{"payload keys", `event.requestParameters.name.endsWith("/management-events")`, false, true},
		{"payload numbers compare with ints", `event.requestParameters.days == 7 && event.requestParameters.days < 8`, false, true},
		{"payload lists", `"b" in event.requestParameters.tags`, false, true},
		{"has() on an absent payload key", `has(event.requestParameters.nope)`, false, false},
		{"has() inside an absent payload", `has(event.requestParameters.name)`, true, false},
		{"has() inside a null payload", `has(event.responseElements.name)`, false, false},
		{"has() on a null payload", `has(event.responseElements)`, false, false},
		{"resources", `event.resources.exists(r, r.type == "AWS::CloudTrail::Trail" && r.ARN.endsWith("management-events"))`, false, true},
		{"absent resources", `size(event.resources) == 0`, true, true},
		{"a whole object as a value", `event.userIdentity == event.userIdentity`, false, true},
		{"string extensions", `event.eventName.lowerAscii() == "stoplogging"`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := role
			if tt.user {
				rec = user
			}
			got, err := evalExpr(t, tt.expr, rec)
			if err != nil {
				t.Fatalf("%s: %v", tt.expr, err)
			}
			if got != tt.want {
				t.Errorf("%s = %t, want %t", tt.expr, got, tt.want)
			}
		})
	}
}

// TestReadingAnAbsentPayloadKeyIsAnError: a rule that reads a payload key without has() or
// getOr() cannot be decided on a record without it.
func TestReadingAnAbsentPayloadKeyIsAnError(t *testing.T) {
	_, err := evalExpr(t, `event.requestParameters.bucketName == "b"`, record(t, assumedRoleRecord))
	if err == nil || !strings.Contains(err.Error(), "no such key: bucketName") {
		t.Errorf("error %v, want no such key: bucketName", err)
	}
}

// TestTypeChecking: mistakes about the record are compile errors at start, not rules that
// silently never match.
func TestTypeChecking(t *testing.T) {
	for _, tt := range []struct{ expr, wantErr string }{
		{`event.evntName == "StopLogging"`, "undefined field 'evntName'"},
		{`event.userIdentity.sessionContext.attributes.mfaAuthenticated == "true"`, "no matching overload for '_==_' applied to '(bool, string)'"},
		{`event.readOnly == "false"`, "no matching overload"},
		{`event.eventName`, "want a bool expression, this one is string"},
		{`event.eventName ==`, "Syntax error"},
		{`request.eventName == "x"`, "undeclared reference to 'request'"},
	} {
		_, err := Compile([]*Rule{{ID: "r", Title: "r", Severity: "LOW", When: tt.expr, File: "own/r.yaml", Line: 7}})
		if err == nil {
			t.Errorf("%s: compiled, want an error containing %q", tt.expr, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "own/r.yaml:7: rule r: when: ") {
			t.Errorf("%s: error %q, want it located at own/r.yaml:7, rule r, and containing %q", tt.expr, err, tt.wantErr)
		}
	}
}

// TestSchemaFieldsAreTrailFields: every field the CEL schema offers is a field of trail's
// record model, and every field of the model is in the schema (the objects walked into, a raw
// payload as dyn), so a rule reads exactly the record every function decodes.
func TestSchemaFieldsAreTrailFields(t *testing.T) {
	s := newSchema(types.DefaultTypeAdapter)
	var schemaPaths []string
	var walk func(o *objectType, prefix string)
	walk = func(o *objectType, prefix string) {
		for _, name := range o.names {
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			schemaPaths = append(schemaPaths, path)
			ft := o.fields[name].Type
			if ft.Kind() == types.ListKind && len(ft.Parameters()) == 1 {
				ft = ft.Parameters()[0]
			}
			if inner, ok := s.byName[ft.TypeName()]; ok {
				walk(inner, path)
			}
		}
	}
	walk(s.event, "")
	trailPaths := trail.Fields()
	for _, p := range schemaPaths {
		if !slices.Contains(trailPaths, p) {
			t.Errorf("schema field event.%s is not a trail record field", p)
		}
	}
	for _, p := range trailPaths {
		if !slices.Contains(schemaPaths, p) {
			t.Errorf("trail record field %s is not in the CEL schema", p)
		}
	}
	if len(schemaPaths) < 40 || !slices.ContainsFunc(schemaPaths, func(p string) bool { return strings.HasPrefix(p, "resources.") }) {
		t.Errorf("walked only %d schema fields: %v", len(schemaPaths), schemaPaths)
	}
}

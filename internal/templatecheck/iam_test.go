package templatecheck

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// starOnlyActions are actions that support no resource-level permissions
// (their only resource is "*" in the Service Authorization Reference), so
// Resource "*" is already their least privilege. Keep the list short: add an
// action only when a function needs it and the reference says so.
var starOnlyActions = map[string]bool{
	"cloudwatch:putmetricdata": true,
	"sts:getcalleridentity":    true,
	"tag:getresources":         true,
	"xray:puttelemetryrecords": true,
	"xray:puttracesegments":    true,
}

// allowedManagedPolicies are the AWS managed policies a role may carry: only
// the one SAM attaches to every function anyway.
var allowedManagedPolicies = map[string]bool{"AWSLambdaBasicExecutionRole": true}

// checkIAM reports identity policies that grant more than least privilege:
// Allow statements with Action "*" or "service:*", NotAction or NotResource,
// or Resource "*" for an action that supports resource-level permissions; and
// managed policies other than the allowed ones. Resource policies (key, topic,
// queue policies) name their one resource implicitly and are not checked.
func checkIAM(tpl map[string]any) []string {
	var problems []string
	resources, _ := tpl["Resources"].(map[string]any)
	for id, r := range resources {
		res, _ := r.(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		path := "Resources." + id + ".Properties"
		switch res["Type"] {
		case "AWS::Serverless::Function":
			policies, ok := props["Policies"].([]any)
			if !ok && props["Policies"] != nil {
				policies = []any{props["Policies"]}
			}
			for i, p := range policies {
				problems = append(problems, checkSAMPolicy(fmt.Sprintf("%s.Policies[%d]", path, i), p)...)
			}
		case "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group":
			policies, _ := props["Policies"].([]any)
			for i, p := range policies {
				pol, _ := p.(map[string]any)
				problems = append(problems, checkStatements(fmt.Sprintf("%s.Policies[%d].PolicyDocument", path, i), pol["PolicyDocument"])...)
			}
			arns, _ := props["ManagedPolicyArns"].([]any)
			for i, arn := range arns {
				problems = append(problems, checkManagedPolicy(fmt.Sprintf("%s.ManagedPolicyArns[%d]", path, i), arn)...)
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			problems = append(problems, checkStatements(path+".PolicyDocument", props["PolicyDocument"])...)
		}
	}
	sort.Strings(problems)
	return problems
}

// checkSAMPolicy checks one entry of a SAM function's Policies: a managed
// policy name or ARN, a policy document, or a SAM policy template (which SAM
// scopes to the resources its parameters name).
func checkSAMPolicy(path string, p any) []string {
	if doc, ok := p.(map[string]any); ok && doc["Statement"] != nil {
		return checkStatements(path, doc)
	}
	return checkManagedPolicy(path, p)
}

func checkManagedPolicy(path string, p any) []string {
	s, ok := p.(string)
	if !ok {
		return nil
	}
	name := s[strings.LastIndex(s, "/")+1:]
	if allowedManagedPolicies[name] {
		return nil
	}
	return []string{fmt.Sprintf("%s: managed policy %s is not least privilege; write a statement for what the function needs", path, s)}
}

func checkStatements(path string, doc any) []string {
	d, _ := doc.(map[string]any)
	statements, ok := d["Statement"].([]any)
	if !ok {
		statements = []any{d["Statement"]}
	}
	var problems []string
	for i, s := range statements {
		stmt, _ := s.(map[string]any)
		at := fmt.Sprintf("%s.Statement[%d]", path, i)
		if stmt["Effect"] != "Allow" {
			continue
		}
		for _, key := range []string{"NotAction", "NotResource"} {
			if _, set := stmt[key]; set {
				problems = append(problems, fmt.Sprintf("%s: Allow with %s grants everything it does not list", at, key))
			}
		}
		actions := literals(stmt["Action"])
		for _, a := range actions {
			if a == "*" || strings.HasSuffix(a, ":*") {
				problems = append(problems, fmt.Sprintf("%s: Action %q allows every action it covers", at, a))
			}
		}
		if !contains(literals(stmt["Resource"]), "*") {
			continue
		}
		for _, a := range actions {
			if !starOnlyActions[strings.ToLower(a)] {
				problems = append(problems, fmt.Sprintf("%s: Resource \"*\" for %s, which can be limited to named resources", at, a))
			}
		}
	}
	return problems
}

// literals returns the literal strings of a policy element (a string or a
// list); values computed by intrinsics are unknown here and left out.
func literals(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	list, _ := v.([]any)
	var out []string
	for _, item := range list {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTemplatesGrantLeastPrivilege(t *testing.T) {
	for _, path := range projectTemplates(t) {
		t.Run(path, func(t *testing.T) {
			for _, p := range checkIAM(mustLoad(t, path)) {
				t.Error(p)
			}
		})
	}
}

func TestCheckIAMReportsBroadGrants(t *testing.T) {
	got := checkIAM(mustLoad(t, "testdata/bad-iam.yaml"))
	want := []string{
		`Resources.Fn.Properties.Policies[0]: managed policy AmazonDynamoDBFullAccess is not least privilege; write a statement for what the function needs`,
		`Resources.Fn.Properties.Policies[1].Statement[0]: Action "*" allows every action it covers`,
		`Resources.Fn.Properties.Policies[1].Statement[0]: Resource "*" for *, which can be limited to named resources`,
		`Resources.Fn.Properties.Policies[1].Statement[1]: Action "s3:*" allows every action it covers`,
		`Resources.Fn.Properties.Policies[1].Statement[2]: Resource "*" for s3:GetObject, which can be limited to named resources`,
		`Resources.Fn.Properties.Policies[1].Statement[3]: Allow with NotAction grants everything it does not list`,
		`Resources.ManagedPolicy.Properties.PolicyDocument.Statement[0]: Allow with NotResource grants everything it does not list`,
		`Resources.Role.Properties.ManagedPolicyArns[0]: managed policy arn:aws:iam::aws:policy/AdministratorAccess is not least privilege; write a statement for what the function needs`,
		`Resources.Role.Properties.Policies[0].PolicyDocument.Statement[0]: Resource "*" for sqs:SendMessage, which can be limited to named resources`,
	}
	assertProblems(t, got, want)
}

package templatecheck

import (
	"fmt"
	"sort"
	"testing"
)

// pseudoParameters are the names CloudFormation defines in every stack.
var pseudoParameters = map[string]bool{
	"AWS::AccountId":        true,
	"AWS::NotificationARNs": true,
	"AWS::NoValue":          true,
	"AWS::Partition":        true,
	"AWS::Region":           true,
	"AWS::StackId":          true,
	"AWS::StackName":        true,
	"AWS::URLSuffix":        true,
}

// checkReferences reports every reference to a parameter, resource, condition
// or mapping the template does not define: CloudFormation would reject the
// template at deploy time, long after the test could have said so.
func checkReferences(tpl map[string]any) []string {
	params := keys(tpl["Parameters"])
	conditions := keys(tpl["Conditions"])
	mappings := keys(tpl["Mappings"])
	resources := keys(tpl["Resources"])
	for id := range samGenerated(tpl) {
		resources[id] = true
	}
	refs, problems := references(tpl)
	for _, r := range refs {
		var ok bool
		var what string
		switch {
		case r.kind == "Condition" || r.kind == "Fn::If":
			ok, what = conditions[r.name], "condition"
		case r.kind == "Fn::FindInMap":
			ok, what = mappings[r.name], "mapping"
		case r.kind == "Fn::GetAtt" || r.kind == "DependsOn" || r.attribute != "":
			ok, what = resources[r.name], "resource"
		default:
			ok, what = params[r.name] || resources[r.name] || pseudoParameters[r.name], "parameter or resource"
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: %s names %s %q, which the template does not define", r.path, r.kind, what, r.name))
		}
	}
	sort.Strings(problems)
	return problems
}

// keys returns the keys of a template section.
func keys(section any) map[string]bool {
	m, _ := section.(map[string]any)
	set := make(map[string]bool, len(m))
	for k := range m {
		set[k] = true
	}
	return set
}

func TestTemplateReferencesExist(t *testing.T) {
	for _, path := range projectTemplates(t) {
		t.Run(path, func(t *testing.T) {
			tpl := mustLoad(t, path)
			if refs, _ := references(tpl); len(refs) == 0 {
				t.Fatal("found no references at all: the walk is broken")
			}
			for _, p := range checkReferences(tpl) {
				t.Error(p)
			}
		})
	}
}

func TestCheckReferencesReportsUndefinedNames(t *testing.T) {
	got := checkReferences(mustLoad(t, "testdata/bad-references.yaml"))
	want := []string{
		`Conditions.IsProd.Fn::Not[0]: Condition names condition "Missing", which the template does not define`,
		`Resources.Queue.Condition: Condition names condition "NoSuchCondition", which the template does not define`,
		`Resources.Queue.DependsOn: DependsOn names resource "NoSuchResource", which the template does not define`,
		`Resources.Queue.Properties.DelaySeconds: Fn::FindInMap names mapping "NoSuchMap", which the template does not define`,
		`Resources.Queue.Properties.KmsMasterKeyId: Fn::If names condition "NoSuchCondition", which the template does not define`,
		`Resources.Queue.Properties.QueueName: Fn::Sub names parameter or resource "NoSuchParam", which the template does not define`,
		`Resources.Queue.Properties.RedriveAllowPolicy: Fn::Sub names resource "NoSuchQueue", which the template does not define`,
		`Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn: Fn::GetAtt names resource "NoSuchQueue", which the template does not define`,
		`Resources.Queue.Properties.Tags[0].Value: Ref names parameter or resource "NoSuchThing", which the template does not define`,
		`Resources.Queue.Properties.Tags[1].Value: Fn::GetAtt names resource "Name", which the template does not define`,
		`Resources.Queue.Properties.Tags[2].Value: Fn::GetAtt takes [Resource, Attribute], not [Name]`,
	}
	assertProblems(t, got, want)
}

// assertProblems fails unless a checker reported exactly the wanted problems.
func assertProblems(t *testing.T, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if fmt.Sprint(got) == fmt.Sprint(want) {
		return
	}
	t.Errorf("got %d problems:", len(got))
	for _, p := range got {
		t.Errorf("  got:  %s", p)
	}
	for _, p := range want {
		t.Errorf("  want: %s", p)
	}
}

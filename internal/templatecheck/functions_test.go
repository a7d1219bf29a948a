package templatecheck

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"testing"
)

// checkFunctions reports every AWS::Serverless::Function that `sam build`
// could not build with the Makefile, that would drop an event after its
// retries, or whose errors no alarm watches.
func checkFunctions(tpl map[string]any, makefile string) []string {
	globals, _ := tpl["Globals"].(map[string]any)
	globalFn, _ := globals["Function"].(map[string]any)
	var problems []string
	for id, fn := range Resources(tpl, "AWS::Serverless::Function") {
		path := "Resources." + id
		props, _ := fn["Properties"].(map[string]any)
		// A function's own property wins over Globals.
		prop := func(name string) any {
			if v, ok := props[name]; ok {
				return v
			}
			return globalFn[name]
		}
		if uri := prop("CodeUri"); uri != "." {
			problems = append(problems, fmt.Sprintf("%s: CodeUri is %v, want \".\" (the Makefile builds from the repository root)", path, uri))
		}
		meta, _ := fn["Metadata"].(map[string]any)
		if meta["BuildMethod"] != "makefile" {
			problems = append(problems, fmt.Sprintf("%s: Metadata.BuildMethod is %v, want makefile", path, meta["BuildMethod"]))
		}
		target := regexp.MustCompile(`(?m)^build-` + regexp.QuoteMeta(id) + `:`)
		if !target.MatchString(makefile) {
			problems = append(problems, fmt.Sprintf("%s: the Makefile has no build-%s target", path, id))
		}
		if !hasFailureDestination(prop("DeadLetterQueue"), prop("EventInvokeConfig")) {
			problems = append(problems, fmt.Sprintf("%s: failed asynchronous invocations are dropped: set DeadLetterQueue or EventInvokeConfig.DestinationConfig.OnFailure", path))
		}
		if !hasErrorsAlarm(tpl, id) {
			problems = append(problems, fmt.Sprintf("%s: no AWS::CloudWatch::Alarm on AWS/Lambda Errors of FunctionName !Ref %s with AlarmActions", path, id))
		}
	}
	sort.Strings(problems)
	return problems
}

// hasFailureDestination reports whether an asynchronous invocation that still
// fails after Lambda's retries is kept somewhere.
func hasFailureDestination(dlq, invokeConfig any) bool {
	if d, ok := dlq.(map[string]any); ok && d["Type"] != nil && d["TargetArn"] != nil {
		return true
	}
	cfg, _ := invokeConfig.(map[string]any)
	dest, _ := cfg["DestinationConfig"].(map[string]any)
	onFailure, _ := dest["OnFailure"].(map[string]any)
	// With Type SQS or SNS and no Destination, SAM creates the queue or topic.
	return onFailure["Type"] != nil
}

// hasErrorsAlarm reports whether an alarm with actions watches the function's
// AWS/Lambda Errors metric.
func hasErrorsAlarm(tpl map[string]any, functionID string) bool {
	wantDimension := map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": functionID}}
	for _, alarm := range Resources(tpl, "AWS::CloudWatch::Alarm") {
		props, _ := alarm["Properties"].(map[string]any)
		actions, _ := props["AlarmActions"].([]any)
		if props["Namespace"] != "AWS/Lambda" || props["MetricName"] != "Errors" || len(actions) == 0 {
			continue
		}
		dims, _ := props["Dimensions"].([]any)
		for _, d := range dims {
			if reflect.DeepEqual(d, wantDimension) {
				return true
			}
		}
	}
	return false
}

func TestFunctionsBuildKeepFailuresAndAlarm(t *testing.T) {
	makefile, err := os.ReadFile(repoPath("Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	tpl := mustLoad(t, repoPath("template.yaml"))
	if len(Resources(tpl, "AWS::Serverless::Function")) == 0 {
		t.Fatal("template.yaml has no AWS::Serverless::Function: nothing was checked")
	}
	for _, p := range checkFunctions(tpl, string(makefile)) {
		t.Error(p)
	}
}

func TestCheckFunctionsReportsMistakes(t *testing.T) {
	const makefile = "build-Good:\n\tgo build\n# build-NoTarget: is only a comment\nbuild-NoDLQ:\nbuild-NoAlarm: FORCE\n"
	tests := []struct {
		name, template string
		want           []string
	}{
		{"all good", "testdata/good-functions.yaml", nil},
		{"every mistake", "testdata/bad-functions.yaml", []string{
			`Resources.NoAlarm: no AWS::CloudWatch::Alarm on AWS/Lambda Errors of FunctionName !Ref NoAlarm with AlarmActions`,
			`Resources.NoDLQ: failed asynchronous invocations are dropped: set DeadLetterQueue or EventInvokeConfig.DestinationConfig.OnFailure`,
			`Resources.NoTarget: CodeUri is functions/notarget, want "." (the Makefile builds from the repository root)`,
			`Resources.NoTarget: Metadata.BuildMethod is go1.x, want makefile`,
			`Resources.NoTarget: the Makefile has no build-NoTarget target`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, checkFunctions(mustLoad(t, tt.template), makefile), tt.want)
		})
	}
}

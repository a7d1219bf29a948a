package rules

import (
	"fmt"
	"sort"
	"testing"
)

func TestPrefilter(t *testing.T) {
	tests := []struct {
		when           string
		sources, names string // sorted sets, "*" for no constraint
	}{
		{`event.eventSource == "cloudtrail.amazonaws.com" && event.eventName in ["StopLogging", "DeleteTrail"] && missing(event.errorCode)`, "[cloudtrail.amazonaws.com]", "[DeleteTrail StopLogging]"},
		{`"ConsoleLogin" == event.eventName`, "*", "[ConsoleLogin]"},
		{`event.eventName == "A" || event.eventName == "B"`, "*", "*"}, // a disjunction constrains nothing at the top
		{`(event.eventName == "A" && event.awsRegion == "x") && event.eventSource == "s"`, "[s]", "[A]"},
		{`event.eventName in ["A", event.awsRegion]`, "*", "*"},
		{`!(event.eventName == "A")`, "*", "*"},
		{`event.errorCode != ""`, "*", "*"},
	}
	for _, tt := range tests {
		env, _, err := newEnv(TrustedAccounts{})
		if err != nil {
			t.Fatal(err)
		}
		checked, err := checkExpr(env, tt.when, true)
		if err != nil {
			t.Fatal(err)
		}
		p := prefilterOf(checked)
		if got := setString(p.sources); got != tt.sources {
			t.Errorf("%s: sources %s, want %s", tt.when, got, tt.sources)
		}
		if got := setString(p.names); got != tt.names {
			t.Errorf("%s: names %s, want %s", tt.when, got, tt.names)
		}
	}
}

func setString(m map[string]bool) string {
	if m == nil {
		return "*"
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}

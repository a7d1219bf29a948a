package templatecheck

import (
	"reflect"
	"testing"
)

// The forwarder must send other regions exactly the events the sign-in
// checker's rule matches; a pattern changed in one template only would drop
// sign-ins recorded outside the trailguard region, silently.
func TestForwarderPatternMatchesLoginCheckRule(t *testing.T) {
	stack := mustLoad(t, repoPath("template.yaml"))
	fn := Resources(stack, "AWS::Serverless::Function")["LoginCheckFunction"]
	if fn == nil {
		t.Fatal("template.yaml has no LoginCheckFunction")
	}
	events, _ := fn["Properties"].(map[string]any)["Events"].(map[string]any)
	signIn, _ := events["SignIn"].(map[string]any)
	props, _ := signIn["Properties"].(map[string]any)
	want := props["Pattern"]

	forwarder := mustLoad(t, repoPath("templates", "signin-forwarder.yaml"))
	rule := Resources(forwarder, "AWS::Events::Rule")["SignInForwardRule"]
	if rule == nil {
		t.Fatal("signin-forwarder.yaml has no SignInForwardRule")
	}
	got := rule["Properties"].(map[string]any)["EventPattern"]
	if want == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("forwarder pattern %v, LoginCheckFunction pattern %v: want the same", got, want)
	}
}

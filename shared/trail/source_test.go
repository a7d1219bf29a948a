package trail

import "testing"

// Only AWS can speak for AWS: the sources EventBridge reserves to AWS are believed, the rest
// are forged, and a console sign-in is believed only from aws.signin.
func TestForgedSource(t *testing.T) {
	const apiCall, signIn, serviceEvent = "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", "AWS Service Event via CloudTrail"
	tests := []struct {
		source, detailType string
		want               string
	}{
		{"aws.signin", signIn, ""},
		{"aws.signin", "AWS Console Signin via CloudTrail", ""},
		{"aws.signin", serviceEvent, ""}, // IAM Identity Center sign-ins
		{"aws.ec2", apiCall, ""},
		{"aws.cloudtrail", apiCall, ""},
		{"aws.signin.evil", apiCall, ""}, // reserved prefix: only AWS could have sent it
		{"aws.x", apiCall, ""},
		{"com.attacker.forged", apiCall, ReasonForgedSource},
		{"com.attacker.forged", signIn, ReasonForgedSource},
		{"aws", apiCall, ReasonForgedSource},
		{"aws.", apiCall, ReasonForgedSource},
		{"", apiCall, ReasonForgedSource},
		{"AWS.signin", signIn, ReasonForgedSource},
		{"awsx.signin", signIn, ReasonForgedSource},
		{"aws-signin", signIn, ReasonForgedSource},
		{" aws.signin", signIn, ReasonForgedSource},
		{"aws.ec2", signIn, ReasonSignInSource},
		{"aws.signin.evil", signIn, ReasonSignInSource},
		{"aws.signin.evil", "AWS Console Signin via CloudTrail", ReasonSignInSource},
	}
	for _, tt := range tests {
		if got := ForgedSource(tt.source, tt.detailType); got != tt.want {
			t.Errorf("ForgedSource(%q, %q) = %q, want %q", tt.source, tt.detailType, got, tt.want)
		}
	}
}

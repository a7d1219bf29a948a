package trail

import (
	"strings"
	"testing"
)

func TestPrincipalAndName(t *testing.T) {
	tests := []struct {
		name                    string
		id                      UserIdentity
		wantPrincipal, wantName string
	}{
		{"root", UserIdentity{Type: "Root", PrincipalID: "111122223333", ARN: "arn:aws:iam::111122223333:root"}, "arn:aws:iam::111122223333:root", "root"},
		{"iam user", UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", UserName: "alice"}, "arn:aws:iam::111122223333:user/alice", "alice"},
		{"failed iam user, no arn", UserIdentity{Type: "IAMUser", PrincipalID: "AIDAEXAMPLE", UserName: "alice"}, "AIDAEXAMPLE", "alice"},
		{"assumed role", UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/Admin/bob"}, "arn:aws:sts::111122223333:assumed-role/Admin/bob", "Admin/bob"},
		{"aws service", UserIdentity{Type: "AWSService", InvokedBy: "cloudtrail.amazonaws.com"}, "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com"},
		{"identity center user", UserIdentity{Type: "IdentityCenterUser", OnBehalfOf: &OnBehalfOf{UserID: "f4e8-user"}}, "f4e8-user", "f4e8-user"},
		{"nothing", UserIdentity{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.Principal(); got != tt.wantPrincipal {
				t.Errorf("Principal = %q, want %q", got, tt.wantPrincipal)
			}
			if got := tt.id.Name(); got != tt.wantName {
				t.Errorf("Name = %q, want %q", got, tt.wantName)
			}
		})
	}
}

func TestSignIn(t *testing.T) {
	tests := []struct {
		name    string
		rec     Record
		want    SignIn
		wantErr string
	}{
		{"console success", Record{EventName: "ConsoleLogin", ResponseElements: []byte(`{"ConsoleLogin":"Success"}`), AdditionalEventData: []byte(`{"MFAUsed":"No","LoginTo":"https://console.aws.amazon.com"}`)},
			SignIn{Result: "Success", MFAUsed: "No", LoginTo: "https://console.aws.amazon.com"}, ""},
		{"identity center", Record{EventName: "CredentialVerification", ResponseElements: []byte(`null`), ServiceEventDetails: []byte(`{"CredentialVerification":"Failure"}`), AdditionalEventData: []byte(`{"CredentialType":"PASSWORD","UserName":"alice@example.com"}`)},
			SignIn{Result: "Failure", CredentialType: "PASSWORD", UserName: "alice@example.com"}, ""},
		{"saml", Record{EventName: "ConsoleLogin", AdditionalEventData: []byte(`{"SamlProviderArn":"arn:aws:iam::1:saml-provider/x","MFAUsed":"No"}`)},
			SignIn{MFAUsed: "No", SAMLProviderARN: "arn:aws:iam::1:saml-provider/x"}, ""},
		{"mistyped result", Record{ResponseElements: []byte(`{"ConsoleLogin":1}`)}, SignIn{}, "responseElements.ConsoleLogin"},
		{"mistyped mfa", Record{AdditionalEventData: []byte(`{"MFAUsed":true}`)}, SignIn{}, "additionalEventData.MFAUsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rec.SignIn()
			if tt.wantErr != "" {
				if err == nil || !contains(err.Error(), tt.wantErr) {
					t.Fatalf("SignIn error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("SignIn = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

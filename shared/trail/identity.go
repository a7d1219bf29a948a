package trail

import (
	"strings"

	json "github.com/trailguard/trailguard/internal/fastjson"
)

// Identity types CloudTrail writes in userIdentity.type.
const (
	IdentityRoot               = "Root"
	IdentityIAMUser            = "IAMUser"
	IdentityAssumedRole        = "AssumedRole"
	IdentityFederatedUser      = "FederatedUser"
	IdentityAWSService         = "AWSService"
	IdentityAWSAccount         = "AWSAccount"
	IdentityCenterUser         = "IdentityCenterUser"
	IdentityDirectory          = "Directory"
	IdentityUnknown            = "Unknown"
	IdentitySAMLUser           = "SAMLUser"
	IdentityWebIdentityUser    = "WebIdentityUser"
	IdentityIdentityCenterRole = "IdentityCenterRole"
)

// UserIdentity says who made the call. Which fields are present depends on Type: a Root
// identity has no userName, an AWSService identity has only invokedBy, an IdentityCenterUser
// has onBehalfOf and credentialId instead of an ARN.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId"`
	ARN              string          `json:"arn"`
	AccountID        string          `json:"accountId"`
	AccessKeyID      string          `json:"accessKeyId"`
	UserName         string          `json:"userName"`
	InvokedBy        string          `json:"invokedBy"`
	IdentityProvider string          `json:"identityProvider"`
	CredentialID     string          `json:"credentialId"`
	SessionContext   *SessionContext `json:"sessionContext"`
	OnBehalfOf       *OnBehalfOf     `json:"onBehalfOf"`
	InScopeOf        json.RawMessage `json:"inScopeOf"`
}

// SessionContext is present for temporary credentials (assumed roles, federation, console).
type SessionContext struct {
	SessionIssuer       *SessionIssuer    `json:"sessionIssuer"`
	WebIDFederationData json.RawMessage   `json:"webIdFederationData"`
	Attributes          SessionAttributes `json:"attributes"`
	SourceIdentity      string            `json:"sourceIdentity"`
	EC2RoleDelivery     string            `json:"ec2RoleDelivery"`
	AssumedRoot         Bool              `json:"assumedRoot"`
}

// SessionIssuer is the entity that issued the temporary credentials (usually a role).
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes carries when the session began and whether MFA was used for it.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated Bool   `json:"mfaAuthenticated"`
}

// OnBehalfOf names the IAM Identity Center user an IdentityCenterUser identity acts for.
type OnBehalfOf struct {
	UserID           string `json:"userId"`
	IdentityStoreARN string `json:"identityStoreArn"`
}

// Principal is the most specific stable name of the caller: the ARN, else the principal ID,
// else the Identity Center user, else the invoking service, else the user name.
func (u *UserIdentity) Principal() string {
	switch {
	case u.ARN != "":
		return u.ARN
	case u.PrincipalID != "":
		return u.PrincipalID
	case u.OnBehalfOf != nil && u.OnBehalfOf.UserID != "":
		return u.OnBehalfOf.UserID
	case u.InvokedBy != "":
		return u.InvokedBy
	default:
		return u.UserName
	}
}

// Name is the human-readable name of the caller for alerts: the user name, the role
// session's issuer and session name, "root", or the Principal.
func (u *UserIdentity) Name() string {
	switch {
	case u.Type == IdentityRoot:
		return "root"
	case u.UserName != "":
		return u.UserName
	case u.Type == IdentityAssumedRole && u.ARN != "":
		// arn:aws:sts::111122223333:assumed-role/RoleName/session → RoleName/session
		if _, rest, ok := strings.Cut(u.ARN, ":assumed-role/"); ok {
			return rest
		}
	}
	return u.Principal()
}

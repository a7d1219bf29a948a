package trail

import json "github.com/trailguard/trailguard/internal/fastjson"

// SignIn is what a sign-in record says about the sign-in itself. AWS console sign-ins carry
// it in responseElements.ConsoleLogin and additionalEventData; IAM Identity Center sign-ins
// (UserAuthentication, CredentialVerification) in serviceEventDetails.<eventName>.
type SignIn struct {
	Result          string // "Success", "Failure", or "" when the record does not say
	MFAUsed         string // "Yes", "No", or "" when the record does not say
	LoginTo         string
	SAMLProviderARN string
	CredentialType  string // Identity Center: the factors used, e.g. "PASSWORD,TOTP"
	UserName        string // Identity Center: the user name typed at sign-in
}

// Failed reports whether the sign-in was refused.
func (s SignIn) Failed() bool { return s.Result == "Failure" }

// SignIn reads the sign-in fields of a record. A mistyped field is an error naming it.
func (r *Record) SignIn() (SignIn, error) {
	var out SignIn
	if len(r.ResponseElements) > 0 {
		var resp struct {
			ConsoleLogin string `json:"ConsoleLogin"`
		}
		if err := decodeField(r.ResponseElements, &resp, "responseElements"); err != nil {
			return out, err
		}
		out.Result = resp.ConsoleLogin
	}
	if out.Result == "" && len(r.ServiceEventDetails) > 0 {
		var details map[string]json.RawMessage
		if err := decodeField(r.ServiceEventDetails, &details, "serviceEventDetails"); err != nil {
			return out, err
		}
		if v, ok := details[r.EventName]; ok {
			if err := decodeField(v, &out.Result, "serviceEventDetails."+r.EventName); err != nil {
				return out, err
			}
		}
	}
	if len(r.AdditionalEventData) > 0 {
		var extra struct {
			MFAUsed         string `json:"MFAUsed"`
			LoginTo         string `json:"LoginTo"`
			SAMLProviderARN string `json:"SamlProviderArn"`
			CredentialType  string `json:"CredentialType"`
			UserName        string `json:"UserName"`
		}
		if err := decodeField(r.AdditionalEventData, &extra, "additionalEventData"); err != nil {
			return out, err
		}
		out.MFAUsed, out.LoginTo, out.SAMLProviderARN = extra.MFAUsed, extra.LoginTo, extra.SAMLProviderARN
		out.CredentialType, out.UserName = extra.CredentialType, extra.UserName
	}
	return out, nil
}

// decodeField decodes a raw sub-document; JSON null leaves v untouched.
func decodeField(raw json.RawMessage, v any, field string) error {
	if string(raw) == "null" {
		return nil
	}
	if err := unmarshal(raw, v); err != nil {
		return malformed(field, unwrapMalformed(err))
	}
	return nil
}

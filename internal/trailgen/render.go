package trailgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Append appends spec as one CloudTrail record (JSON, the field order CloudTrail writes) to dst.
func (g *Generator) Append(dst []byte, s Spec) []byte {
	r := g.rng
	vars := templateVars{
		acct:   s.Account,
		region: regions[r.IntN(len(regions))],
		id:     fmt.Sprintf("%017x", r.Uint64()>>4),
		id2:    strconv.Itoa(1000 + r.IntN(9000)),
	}
	vars.bucket = "data-" + vars.acct + "-" + vars.region
	c := findCall(s.EventSource, s.EventName)

	dst = append(dst, `{"eventVersion":"1.10","userIdentity":`...)
	dst = appendIdentity(dst, s.Identity, s.Time)
	dst = appendField(dst, "eventTime", s.Time.UTC().Format(time.RFC3339))
	dst = appendField(dst, "eventSource", s.EventSource)
	dst = appendField(dst, "eventName", s.EventName)
	dst = appendField(dst, "awsRegion", vars.region)
	dst = appendField(dst, "sourceIPAddress", s.SourceIP)
	dst = appendField(dst, "userAgent", userAgents[r.IntN(len(userAgents))])
	if s.ErrorCode != "" {
		dst = appendField(dst, "errorCode", s.ErrorCode)
		dst = appendField(dst, "errorMessage", "User: "+s.Identity.Principal+" is not authorized to perform: "+s.EventName+" because no identity-based policy allows the action")
	}
	switch {
	case s.EventName == "ConsoleLogin":
		if s.SignInResult == "Failure" {
			dst = appendField(dst, "errorMessage", "Failed authentication")
		}
		dst = append(dst, `,"requestParameters":null,"responseElements":{"ConsoleLogin":`...)
		dst = appendString(dst, s.SignInResult)
		dst = append(dst, `},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"Yes"}`...)
	case c != nil:
		dst = append(dst, `,"requestParameters":`...)
		dst = vars.expand(dst, c.request, "")
		dst = append(dst, `,"responseElements":`...)
		if s.ErrorCode != "" {
			dst = append(dst, "null"...)
		} else {
			dst = vars.expand(dst, c.response, "")
		}
	default:
		dst = append(dst, `,"requestParameters":{"name":"`...)
		dst = append(dst, vars.id...)
		dst = append(dst, `"},"responseElements":null`...)
	}
	dst = appendField(dst, "requestID", fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff))
	dst = appendField(dst, "eventID", fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff))
	dst = append(dst, `,"readOnly":`...)
	dst = strconv.AppendBool(dst, c != nil && c.readOnly)
	if s.ResourceType != "" {
		dst = append(dst, `,"resources":`...)
		if c != nil && c.resources != "" && c.resourceType == s.ResourceType {
			dst = vars.expand(dst, c.resources, s.ResourceType)
		} else {
			dst = append(dst, `[{"accountId":`...)
			dst = appendString(dst, s.Account)
			dst = append(dst, `,"type":`...)
			dst = appendString(dst, s.ResourceType)
			dst = append(dst, `,"ARN":"arn:aws:generic:::`...)
			dst = append(dst, vars.id...)
			dst = append(dst, `"}]`...)
		}
	}
	dst = appendField(dst, "eventType", s.EventType)
	dst = append(dst, `,"managementEvent":`...)
	dst = strconv.AppendBool(dst, s.EventSource != "s3.amazonaws.com")
	dst = appendField(dst, "recipientAccountId", s.Account)
	dst = appendField(dst, "eventCategory", "Management")
	if s.Identity.Type != "AWSService" {
		host := strings.TrimSuffix(s.EventSource, ".amazonaws.com") + "." + vars.region + ".amazonaws.com"
		dst = append(dst, `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":`...)
		dst = appendString(dst, host)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func findCall(source, name string) *call {
	for i := range calls {
		if calls[i].service.source == source && calls[i].name == name {
			return &calls[i]
		}
	}
	return nil
}

func appendIdentity(dst []byte, id Identity, t time.Time) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, id.Type)
	switch id.Type {
	case "AWSService":
		dst = appendField(dst, "invokedBy", id.InvokedBy)
		return append(dst, '}')
	case "IdentityCenterUser":
		dst = appendField(dst, "arn", "")
		dst = appendField(dst, "accountId", id.AccountID)
		dst = append(dst, `,"accessKeyId":"","onBehalfOf":{"userId":`...)
		dst = appendString(dst, id.UserID)
		dst = append(dst, `,"identityStoreArn":"arn:aws:identitystore::`...)
		dst = append(dst, id.AccountID...)
		dst = append(dst, `:identitystore/d-93670a1b2c"},"credentialId":"6e2b9d4f-1a7c-4e3b-8d5f-0c9a2e7b4d61"}`...)
		return dst
	}
	dst = appendField(dst, "principalId", id.PrincipalID)
	dst = appendField(dst, "arn", id.ARN)
	dst = appendField(dst, "accountId", id.AccountID)
	dst = appendField(dst, "accessKeyId", "ASIA"+id.PrincipalID[min(4, len(id.PrincipalID)):min(20, len(id.PrincipalID))])
	if id.UserName != "" {
		dst = appendField(dst, "userName", id.UserName)
	}
	if id.Type == "AssumedRole" || id.Type == "Root" {
		dst = append(dst, `,"sessionContext":{`...)
		if id.Issuer != "" {
			role := id.Issuer[strings.LastIndexByte(id.Issuer, '/')+1:]
			dst = append(dst, `"sessionIssuer":{"type":"Role","principalId":`...)
			dst = appendString(dst, id.PrincipalID[:strings.IndexByte(id.PrincipalID+":", ':')])
			dst = appendField(dst, "arn", id.Issuer)
			dst = appendField(dst, "accountId", id.AccountID)
			dst = appendField(dst, "userName", role)
			dst = append(dst, `},"webIdFederationData":{},`...)
		}
		dst = append(dst, `"attributes":{"creationDate":`...)
		dst = appendString(dst, t.Add(-37*time.Minute).UTC().Format(time.RFC3339))
		dst = append(dst, `,"mfaAuthenticated":"true"}}`...)
	}
	return append(dst, '}')
}

// templateVars are the per-record values a call template refers to.
type templateVars struct{ acct, region, id, id2, bucket string }

func (v templateVars) expand(dst []byte, tmpl, typ string) []byte {
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return append(dst, tmpl...)
		}
		dst = append(dst, tmpl[:i]...)
		tmpl = tmpl[i:]
		j := strings.IndexByte(tmpl, '}')
		var val string
		switch tmpl[:j+1] {
		case "{acct}":
			val = v.acct
		case "{region}":
			val = v.region
		case "{id}":
			val = v.id
		case "{id2}":
			val = v.id2
		case "{bucket}":
			val = v.bucket
		case "{type}":
			val = typ
		default: // a JSON brace
			dst = append(dst, '{')
			tmpl = tmpl[1:]
			continue
		}
		dst = append(dst, val...)
		tmpl = tmpl[j+1:]
	}
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, value)
}

// appendString appends s as a JSON string, escaping what JSON requires.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
			continue
		}
		i++
	}
	return append(dst, '"')
}

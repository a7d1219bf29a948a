package awsfake

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// apiError is an error answer in the AWS query protocol (SNS, STS, IAM):
// an HTTP status and the ErrorResponse's Code and Message.
type apiError struct {
	Status  int
	Code    string
	Message string
}

// errorResponse is the query protocol's error document:
// ErrorResponse/Error{Type,Code,Message} and RequestId.
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// writeQueryError answers with e as the service would: Type Sender for the
// caller's faults (4xx), Receiver for the service's own (5xx).
func writeQueryError(w http.ResponseWriter, xmlns string, e *apiError) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	id := requestID()
	writeXML(w, e.Status, id, errorResponse{Xmlns: xmlns, Type: kind, Code: e.Code, Message: e.Message, RequestID: id})
}

func writeXML(w http.ResponseWriter, status int, id string, doc any) {
	body, err := xml.Marshal(doc)
	if err != nil {
		// The documents are fixed structs of strings: this cannot happen.
		panic(fmt.Sprintf("awsfake: marshal %T: %v", doc, err))
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", id)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readQuery checks what every query-protocol service checks before it looks
// at the parameters (a POST of a form, signed with SigV4 for the service),
// and returns the form.
func readQuery(r *http.Request, service, version string) (url.Values, *apiError) {
	if r.Method != http.MethodPost {
		return nil, &apiError{http.StatusMethodNotAllowed, "InvalidAction", "only POST is supported here"}
	}
	if err := checkSigV4(r.Header.Get("Authorization"), service); err != nil {
		return nil, err
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, &apiError{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("unsupported Content-Type %q", ct)}
	}
	if err := r.ParseForm(); err != nil {
		return nil, &apiError{http.StatusBadRequest, "MalformedQueryString", err.Error()}
	}
	if v := r.PostForm.Get("Version"); v != version {
		return nil, &apiError{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("Version %q is not %s", v, version)}
	}
	return r.PostForm, nil
}

// checkSigV4 checks that the request carries a SigV4 Authorization header
// scoped to service. It does not recompute the signature: the fakes do not
// know the caller's secret, and the SDK's signer is not what is under test.
func checkSigV4(auth, service string) *apiError {
	const algorithm = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algorithm) {
		return &apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	}
	var credential, signature string
	for _, part := range strings.Split(strings.TrimPrefix(auth, algorithm), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "Signature":
			signature = v
		}
	}
	// Credential=AKID/20240101/us-east-1/sns/aws4_request
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || signature == "" {
		return &apiError{http.StatusForbidden, "IncompleteSignature", "Authorization header requires Credential and Signature: " + auth}
	}
	if scope[3] != service {
		return &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service)}
	}
	return nil
}

// requestID returns a fresh UUID, the form AWS uses for request and message IDs.
func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

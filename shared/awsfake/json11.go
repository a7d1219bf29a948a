package awsfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// readJSON11 checks what every awsJson1_1 service checks (POST / of
// application/x-amz-json-1.1, SigV4 for the service, a target of its prefix) and returns the
// operation and the body.
func readJSON11(r *http.Request, service, targetPrefix string) (string, []byte, *apiError) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		return op, nil, &apiError{http.StatusNotFound, "UnknownOperationException", r.Method + " " + r.URL.Path}
	case !ok || op == "":
		return op, nil, &apiError{http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("X-Amz-Target %q", r.Header.Get("X-Amz-Target"))}
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		return op, nil, &apiError{http.StatusBadRequest, "SerializationException", fmt.Sprintf("Content-Type %q is not application/x-amz-json-1.1", r.Header.Get("Content-Type"))}
	}
	if err := checkSigV4(r.Header.Get("Authorization"), service); err != nil {
		return op, nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return op, nil, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
	}
	return op, body, nil
}

// decodeStrict decodes a request body, rejecting members the operation does not have, as
// the service's deserializer does.
func decodeStrict(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
	}
	return nil
}

// writeJSONError answers as an awsJson1_1 service does: the error type in X-Amzn-ErrorType
// and in the body's __type.
func writeJSONError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, map[string]string{"__type": e.Code, "Message": e.Message}, e.Code)
}

func writeJSON(w http.ResponseWriter, status int, doc any, errorType string) {
	body, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("awsfake: marshal %T: %v", doc, err))
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", requestID())
	if errorType != "" {
		w.Header().Set("X-Amzn-ErrorType", errorType)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

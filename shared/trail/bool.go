package trail

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"reflect"
)

// Bool is a CloudTrail boolean. Most are JSON booleans, but some are delivered as strings
// (sessionContext.attributes.mfaAuthenticated, sessionCredentialFromConsole are "true"/"false"),
// so Bool accepts both. Present tells a false value from a missing field.
type Bool struct {
	Value   bool
	Present bool
}

// UnmarshalJSON accepts true, false, "true", "false" (any case) and null.
func (b *Bool) UnmarshalJSON(data []byte) error {
	switch s := string(bytes.ToLower(bytes.Trim(data, `"`))); {
	case string(data) == "null":
		*b = Bool{}
	case s == "true":
		*b = Bool{Value: true, Present: true}
	case s == "false":
		*b = Bool{Value: false, Present: true}
	default:
		// A type error, so the decoders fill in the field's path.
		return &stdjson.UnmarshalTypeError{Value: "value " + fmt.Sprintf("%.40s", data), Type: reflect.TypeOf(true)}
	}
	return nil
}

// MarshalJSON writes a JSON boolean, or null when the field was missing.
func (b Bool) MarshalJSON() ([]byte, error) {
	if !b.Present {
		return []byte("null"), nil
	}
	if b.Value {
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

//go:build stdjson

package fastjson

import "encoding/json"

// UnmarshalTypeError is the decoder's error for a value of the wrong JSON type.
type UnmarshalTypeError = json.UnmarshalTypeError

// Unmarshal decodes data into v with encoding/json (the stdjson build).
func Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

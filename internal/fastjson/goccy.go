//go:build !stdjson

package fastjson

import gojson "github.com/goccy/go-json"

// UnmarshalTypeError is the decoder's error for a value of the wrong JSON type.
type UnmarshalTypeError = gojson.UnmarshalTypeError

// Unmarshal decodes data into v with goccy/go-json.
func Unmarshal(data []byte, v any) error { return gojson.Unmarshal(data, v) }

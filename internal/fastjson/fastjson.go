// Package fastjson is the JSON decoder of the paths that decode CloudTrail records: by default
// github.com/goccy/go-json, several times faster than encoding/json on a log file's records.
// A build tagged stdjson decodes with encoding/json instead, which every binary links anyway
// (the Lambda runtime client uses it): goccy/go-json links its whole encoder and decoder,
// about 2 MB, wherever it is imported, and a function that decodes one small event per
// invocation (logincheck, make build tags its bootstrap stdjson) gains nothing from them.
// Both decoders give the same values (goccy/go-json follows encoding/json; shared/trail's
// tests compare them), so only speed depends on the tag.
package fastjson

import "encoding/json"

// RawMessage is encoding/json's: goccy/go-json's is the same type.
type RawMessage = json.RawMessage

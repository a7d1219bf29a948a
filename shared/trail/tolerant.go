package trail

import (
	stdjson "encoding/json"
	"reflect"
	"strings"

	json "github.com/trailguard/trailguard/internal/fastjson"
)

// decodeTolerant is the slow path of decoding, taken only when the strict one-pass decode
// failed: it decodes the JSON object data into v (a struct) member by member, so one member of
// an unexpected type costs only that member. A member that does not decode is dropped (left
// at its zero value) and its path appended to odd; an object member (userIdentity,
// sessionContext, detail…) that does not decode whole is decoded member by member the same
// way. The error is for data that is not a JSON object at all (or not JSON).
func decodeTolerant(data []byte, v reflect.Value, prefix string, odd *[]string) error {
	var members map[string]stdjson.RawMessage
	if err := stdjson.Unmarshal(data, &members); err != nil {
		return err
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		raw, ok := lookup(members, name)
		if !ok {
			continue
		}
		path := join(prefix, name)
		fv := v.Field(i)
		if err := json.Unmarshal(raw, fv.Addr().Interface()); err == nil {
			continue
		}
		fv.SetZero()
		if inner, ok := nested(f.Type); ok && isObject(raw) {
			target := fv
			if f.Type.Kind() == reflect.Pointer {
				fv.Set(reflect.New(inner))
				target = fv.Elem()
			}
			if decodeTolerant(raw, target, path, odd) == nil {
				continue
			}
			fv.SetZero()
		}
		*odd = append(*odd, path)
	}
	return nil
}

// lookup finds a member by its exact name, else case-insensitively, as the strict decoders do.
func lookup(members map[string]stdjson.RawMessage, name string) (stdjson.RawMessage, bool) {
	if raw, ok := members[name]; ok {
		return raw, true
	}
	for k, raw := range members {
		if strings.EqualFold(k, name) {
			return raw, true
		}
	}
	return nil, false
}

func isObject(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '{'
	}
	return false
}

// hasPath reports whether paths holds path.
func hasPath(paths []string, path string) bool {
	for _, p := range paths {
		if p == path {
			return true
		}
	}
	return false
}

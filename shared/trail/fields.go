package trail

import (
	stdjson "encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Field paths are the record's JSON names joined with dots ("userIdentity.sessionContext.
// sessionIssuer.arn"; an element of resources is "resources.ARN"). The Record struct's JSON
// tags are the one list of them: the lean decoders of the fast paths, the CEL schema and the
// generators are tested against Fields, so a field is named in one place.

// unmarshalerType marks types that decode themselves (Bool, Resource): leaves, not walked into.
var unmarshalerType = reflect.TypeFor[stdjson.Unmarshaler]()

// rawType is a service-specific payload kept as raw JSON: a leaf whose inside is not the model's.
var rawType = reflect.TypeFor[stdjson.RawMessage]()

var (
	fieldsOnce sync.Once
	fieldPaths []string
	fieldTypes map[string]reflect.Type
	recordType = reflect.TypeFor[Record]()
)

func buildFields() {
	fieldTypes = map[string]reflect.Type{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := jsonName(f)
			if name == "" {
				continue
			}
			path := join(prefix, name)
			fieldPaths = append(fieldPaths, path)
			fieldTypes[path] = f.Type
			if inner, ok := nested(f.Type); ok {
				walk(inner, path)
			} else if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
				walk(f.Type.Elem(), path) // resources: each element's fields
			}
		}
	}
	walk(recordType, "")
}

// nested reports the struct type a field decodes into field by field (a struct or a pointer
// to one that does not decode itself).
func nested(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil, false
	}
	return t, true
}

// jsonName is a struct field's JSON name; "" for a field JSON never sees.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || tag == "" {
		return ""
	}
	return name
}

// Fields lists every field path of a CloudTrail record, parents before their children, in
// the order of the Record struct. It is the list other descriptions of the record (lean
// decoders, the CEL schema, generators) are checked against.
func Fields() []string {
	fieldsOnce.Do(buildFields)
	return append([]string(nil), fieldPaths...)
}

// FieldType is the Go type a field path decodes into in Record (json.RawMessage for a raw
// service payload, Bool for a boolean, a struct or pointer for an object); false if the path
// is not a record field.
func FieldType(path string) (reflect.Type, bool) {
	fieldsOnce.Do(buildFields)
	t, ok := fieldTypes[path]
	return t, ok
}

// IsRawPayload reports whether the field is a service-specific payload kept as raw JSON
// (requestParameters, responseElements…): paths inside it are the service's, not the model's.
func IsRawPayload(path string) bool {
	t, ok := FieldType(path)
	return ok && t == rawType
}

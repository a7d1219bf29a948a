package tags

import (
	"maps"
	"slices"
	"strings"
)

// Tags is a resource's tag set, key → value.
type Tags map[string]string

// Equal reports whether two tag sets hold the same pairs (nil and empty are equal).
func (t Tags) Equal(o Tags) bool { return maps.Equal(t, o) }

// Has reports whether the set carries key=value.
func (t Tags) Has(key, value string) bool {
	v, ok := t[key]
	return ok && v == value
}

// String renders the set as sorted key=value pairs, for logs and local output.
func (t Tags) String() string {
	keys := slices.Sorted(maps.Keys(t))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + t[k]
	}
	return strings.Join(parts, ",")
}

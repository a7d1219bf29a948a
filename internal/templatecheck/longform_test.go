package templatecheck

import "strings"

// intrinsic reports whether v is a long-form intrinsic function call
// ({"Ref": …} or {"Fn::…": …}), and returns its name and argument. Its value
// is only known at deploy time, so the checks accept it wherever a literal of
// any type may stand.
func intrinsic(v any) (name string, arg any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

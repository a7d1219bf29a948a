package rules

import (
	"fmt"

	json "github.com/goccy/go-json"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
)

// newEnv is the CEL environment every rule is checked and run in: the typed variable `event`,
// the standard library, string extensions and trailguard's helpers (externalAccount bound to
// trusted).
func newEnv(trusted TrustedAccounts) (*cel.Env, *schema, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, nil, fmt.Errorf("cel registry: %w", err)
	}
	s := newSchema(reg)
	opts := []cel.EnvOption{
		cel.CustomTypeProvider(&provider{Provider: reg, s: s}),
		cel.CustomTypeAdapter(s.adapter),
		cel.Variable("event", s.event.celType),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
		externalAccountFunction(s.event.celType, trusted),
	}
	env, err := cel.NewEnv(append(opts, helperFunctions()...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("cel environment: %w", err)
	}
	return env, s, nil
}

// unmarshalAny decodes JSON into maps, slices, strings, float64s, bools and nils.
func unmarshalAny(raw []byte) (any, error) {
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}

// Package config loads a function's environment configuration, validated at start, so that a
// missing or invalid value stops the function with a message naming the variable instead of
// letting it run open.
package config

import (
	"errors"
	"fmt"
	"os"

	"github.com/kelseyhightower/envconfig"
)

// UnderLambda reports whether the process runs inside the Lambda runtime. Outside it, the
// functions replay events locally on embedded defaults.
func UnderLambda() bool { return os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" }

// Load fills spec (an envconfig struct) from the environment. Outside Lambda, localDefaults
// supply values for variables that are unset (not for ones set empty), so a developer's replay
// runs with no setup; under Lambda they are ignored and the template must set everything.
// Under Lambda, Load also gives the runtime its memory limit (limitMemory): every function
// loads its configuration first thing at start.
func Load(spec any, localDefaults map[string]string) error {
	if UnderLambda() {
		limitMemory()
	} else {
		for k, v := range localDefaults {
			if _, set := os.LookupEnv(k); !set {
				if err := os.Setenv(k, v); err != nil {
					return fmt.Errorf("set local default %s: %w", k, err)
				}
			}
		}
	}
	if err := envconfig.Process("", spec); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return &Error{Var: pe.KeyName, Problem: fmt.Sprintf("cannot parse %q as %s: %v", pe.Value, pe.TypeName, pe.Err)}
		}
		return fmt.Errorf("configuration: %w", err)
	}
	return nil
}

// Error is an invalid configuration value, named by its environment variable.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return fmt.Sprintf("configuration: %s: %s", e.Var, e.Problem) }

// Required returns an Error for name when value is empty.
func Required(name, value string) error {
	if value == "" {
		return &Error{Var: name, Problem: "must be set"}
	}
	return nil
}

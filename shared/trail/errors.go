package trail

import (
	stdjson "encoding/json"
	"errors"
	"fmt"

	json "github.com/trailguard/trailguard/internal/fastjson"
)

// FieldError says which field of an event is missing or wrong, by its JSON path
// ("detail.userIdentity.type"), so an operator can find it in the event at once.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %s: %s", e.Field, e.Problem) }

// ErrMalformed marks every decoding failure, so callers can count malformed input apart from
// failures of their own dependencies.
var ErrMalformed = errors.New("malformed event")

// malformed wraps a decoder error as a FieldError where the decoder names the field.
func malformed(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%w: %w", ErrMalformed, &FieldError{
			Field:   join(prefix, te.Field),
			Problem: fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value),
		})
	}
	var ste *stdjson.UnmarshalTypeError
	if errors.As(err, &ste) && ste.Field != "" {
		return fmt.Errorf("%w: %w", ErrMalformed, &FieldError{
			Field:   join(prefix, ste.Field),
			Problem: fmt.Sprintf("want %s, got JSON %s", ste.Type, ste.Value),
		})
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: %w", ErrMalformed, &FieldError{Field: join(prefix, fe.Field), Problem: fe.Problem})
	}
	if prefix != "" {
		return fmt.Errorf("%w: %s: %w", ErrMalformed, prefix, err)
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// unwrapMalformed strips the ErrMalformed marker so an error can be re-rooted under a prefix.
func unwrapMalformed(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return err
}

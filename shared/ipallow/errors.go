package ipallow

import (
	"errors"
	"fmt"
)

// Names of the variables Parse reads, used in its errors so that the operator
// knows which setting to fix.
const (
	cidrsVar   = "ALLOWED_CIDRS"
	sourcesVar = "ALLOWED_SOURCES"
)

// ErrEmpty is returned by Parse when ALLOWED_CIDRS holds no entry: an unset
// allowlist is a deployment mistake, and the checker must not start on it.
var ErrEmpty = errors.New(cidrsVar + ": no CIDR or address given; at least one is required")

// EntryError reports an entry that cannot be used, naming the variable and the
// entry so that the operator can find and fix it.
type EntryError struct {
	Var   string // ALLOWED_CIDRS or ALLOWED_SOURCES
	Entry string // the entry as written, separators removed
	Err   error  // why it was rejected
}

// Error returns e.g. `ALLOWED_CIDRS: invalid entry "10.0.0.300/8": …`.
func (e *EntryError) Error() string {
	return fmt.Sprintf("%s: invalid entry %q: %v", e.Var, e.Entry, e.Err)
}

// Unwrap returns the reason, for errors.Is and errors.As.
func (e *EntryError) Unwrap() error { return e.Err }

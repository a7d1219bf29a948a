package localrun

import (
	"fmt"
	"os"
)

// Exit prints msg on stderr and ends the process with code: how a function's main stops
// before it serves anything, on invalid configuration (ExitConfig) above all.
func Exit(code int, msg ...any) {
	fmt.Fprintln(os.Stderr, msg...)
	os.Exit(code)
}

//go:build !linux

package localrun

import (
	"errors"
	"os"
)

func openPty() (*os.File, error) { return nil, errors.New("pseudo-terminal test on Linux only") }

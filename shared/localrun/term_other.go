//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package localrun

// isTerminalFd cannot tell elsewhere: stdin is read as given.
func isTerminalFd(uintptr) bool { return false }

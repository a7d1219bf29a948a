package localrun

import (
	"syscall"
	"unsafe"
)

// isTerminalFd tells whether fd is a terminal: the terminal attributes can be read.
func isTerminalFd(fd uintptr) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

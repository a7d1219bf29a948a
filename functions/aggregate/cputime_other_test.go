//go:build !unix

package main

import "time"

// cpuTime is not measured here: CPU rates are reported as 0.
func cpuTime() time.Duration { return 0 }

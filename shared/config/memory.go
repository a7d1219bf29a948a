package config

import (
	"os"
	"runtime/debug"
	"strconv"
)

// limitMemory gives the Go runtime a soft memory limit of 80% of the Lambda function's memory
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB), the rest being left to the binary and what the
// runtime does not count. Near the limit the collector runs more often, instead of letting
// garbage grow the process into the function's out-of-memory kill: a 128 MB function then
// holds a large file's counters. GOMEMLIMIT, when set, wins.
func limitMemory() {
	if limit := memoryLimit(os.Getenv); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}

// memoryLimit is limitMemory's limit for an environment, 0 for none.
func memoryLimit(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 {
		return 0
	}
	return mb << 20 * 4 / 5
}

package config

import (
	"runtime/debug"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want int64
	}{
		{"128 MB function", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, 128 << 20 * 4 / 5},
		{"10 GB function", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}, 10240 << 20 * 4 / 5},
		{"GOMEMLIMIT wins", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "GOMEMLIMIT": "200MiB"}, 0},
		{"outside Lambda", map[string]string{}, 0},
		{"not a number", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, 0},
		{"zero", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "0"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := memoryLimit(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("limit %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLimitMemorySetsTheRuntimeLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
	if got := LimitMemory(); got != 256<<20*4/5 || debug.SetMemoryLimit(-1) != got {
		t.Errorf("LimitMemory() = %d, runtime limit %d; want both %d", got, debug.SetMemoryLimit(-1), 256<<20*4/5)
	}
}

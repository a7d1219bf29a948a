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

// TestLoadSetsTheMemoryLimitUnderLambda: loading the configuration under Lambda gives the
// runtime 80% of the function's memory as its limit; a local run leaves the limit alone.
func TestLoadSetsTheMemoryLimitUnderLambda(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
	var spec struct{}

	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	if err := Load(&spec, nil); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("local run: runtime limit %d, want it left at %d", got, prev)
	}

	t.Setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
	if err := Load(&spec, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := debug.SetMemoryLimit(-1), int64(256<<20*4/5); got != want {
		t.Errorf("under Lambda: runtime limit %d, want %d", got, want)
	}
}

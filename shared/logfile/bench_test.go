package logfile

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/trailguard/trailguard/internal/trailgen"
)

// benchRecords is the size of the generated benchmark file (about 350 MB uncompressed).
const benchRecords = 200_000

// benchFile loads the cached generated log file into memory, so disk speed is not measured.
func benchFile(b *testing.B) []byte {
	b.Helper()
	path, err := trailgen.BenchFile(1, benchRecords)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// oneCore runs the benchmark on one core, as a Lambda of 128–1769 MB has.
func oneCore(b *testing.B) {
	prev := runtime.GOMAXPROCS(1)
	b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// BenchmarkReader: gunzip plus framing and validating every record (shared/gunzip's
// BenchmarkGunzip is gunzip alone, the ceiling).
func BenchmarkReader(b *testing.B) {
	data := benchFile(b)
	oneCore(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		lr, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRecords {
			b.Fatalf("read %d records, want %d", n, benchRecords)
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

package logfile

import (
	"bytes"
	"io"
	"testing"

	"github.com/trailguard/trailguard/internal/trailgen"
)

// BenchmarkReader: gunzip plus framing and validating every record (shared/gunzip's
// BenchmarkGunzip is gunzip alone, the ceiling).
func BenchmarkReader(b *testing.B) {
	_, data := trailgen.LoadBenchFile(b)
	trailgen.OneCore(b)
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
		if n != trailgen.BenchRecords {
			b.Fatalf("read %d records, want %d", n, trailgen.BenchRecords)
		}
	}
	b.ReportMetric(float64(trailgen.BenchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

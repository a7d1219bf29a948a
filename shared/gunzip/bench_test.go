package gunzip

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/trailguard/trailguard/internal/trailgen"
)

// BenchmarkGunzip compares this package with klauspost/compress and the
// standard library on the generated CloudTrail file (200,000 records), on
// one core, reading through a 256 KiB buffer.
func BenchmarkGunzip(b *testing.B) {
	_, gz := trailgen.LoadBenchFile(b)
	readers := []struct {
		name string
		open func(io.Reader) (io.Reader, error)
	}{
		{"trailguard", func(r io.Reader) (io.Reader, error) { return NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
		{"stdlib", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	}
	for _, rd := range readers {
		b.Run(rd.name, func(b *testing.B) {
			trailgen.OneCore(b)
			buf := make([]byte, 256<<10)
			b.SetBytes(int64(len(gz)))
			b.ReportAllocs()
			for b.Loop() {
				z, err := rd.open(bytes.NewReader(gz))
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := z.Read(buf)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(trailgen.BenchRecords*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

package gunzip

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"runtime"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/trailguard/trailguard/internal/trailgen"
)

// BenchmarkGunzip compares this package with klauspost/compress and the
// standard library on the generated CloudTrail file (200,000 records), on
// one core, reading through a 256 KiB buffer.
func BenchmarkGunzip(b *testing.B) {
	path, err := trailgen.BenchFile(1, 200_000)
	if err != nil {
		b.Fatal(err)
	}
	gz, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
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
			prev := runtime.GOMAXPROCS(1)
			b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
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
			b.ReportMetric(200000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

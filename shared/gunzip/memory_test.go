package gunzip

import (
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// TestMemoryBounded decompresses a stream of 200 MB (20 MB with -short),
// compressed on the fly, and checks that the Reader's allocations do not
// grow with the stream: the window and the input and output buffers.
func TestMemoryBounded(t *testing.T) {
	size := 200 << 20
	if testing.Short() {
		size = 20 << 20
	}
	chunk := jsonText(rand.New(rand.NewPCG(5, 6)), 1<<20)
	pr, pw := io.Pipe()
	zw, err := kgzip.NewWriterLevel(pw, kgzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for n := 0; n < size; n += len(chunk) {
			if _, err := zw.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(zw.Close())
	}()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	z, err := NewReader(pr)
	if err != nil {
		t.Fatal(err)
	}
	// Hide WriteTo so that the copy goes through Read.
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{z}, make([]byte, 256<<10))
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n != int64(size) {
		t.Fatalf("decompressed %d bytes, want %d", n, size)
	}
	const maxAlloc = 4 << 20
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes for %d bytes of output", alloc, size)
	if alloc > maxAlloc {
		t.Fatalf("allocated %d bytes while decompressing %d, want at most %d", alloc, size, maxAlloc)
	}
}

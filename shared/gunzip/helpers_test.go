package gunzip

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/trailguard/trailguard/internal/trailgen"
)

// testInput is a named uncompressed input for the differential tests.
type testInput struct {
	name string
	data []byte
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func wordText(rng *rand.Rand, n int) []byte {
	words := strings.Fields("the quick brown fox jumps over lazy dog CloudTrail event AssumeRole " +
		"GetObject PutObject us-east-1 eu-west-1 arn:aws:iam::123456789012:role/Admin s3.amazonaws.com")
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(12) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

func jsonText(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for b.Len() < n {
		fmt.Fprintf(&b, `{"eventVersion":"1.08","eventTime":"2024-05-%02dT%02d:%02d:%02dZ","eventSource":"%s",`+
			`"eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"10.%d.%d.%d","requestID":"%016x"},`,
			rng.IntN(28)+1, rng.IntN(24), rng.IntN(60), rng.IntN(60),
			[]string{"s3.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com"}[rng.IntN(3)],
			[]string{"GetObject", "AssumeRole", "ListBuckets", "PutObject"}[rng.IntN(4)],
			rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.Uint64())
	}
	return b.Bytes()[:n]
}

// periodic repeats a random pattern of the given period, which gives
// matches at that distance (period 1 is a run).
func periodic(rng *rand.Rand, period, n int) []byte {
	p := randomBytes(rng, period)
	return bytes.Repeat(p, n/period+1)[:n]
}

// cloudTrailLog is a log file of n records from the generator of the aggregator's benchmark:
// the data this package is tuned for.
func cloudTrailLog(n int) []byte {
	b, err := io.ReadAll(trailgen.Bench(3, n))
	if err != nil {
		panic(err)
	}
	return b
}

// testInputs covers the cases the decoder has separate code for.
func testInputs() []testInput {
	rng := rand.New(rand.NewPCG(1, 2))
	far := randomBytes(rng, 32768)
	farRepeat := append(append(append([]byte{}, far...), far...), far[:1000]...)
	long258 := bytes.Repeat(append(randomBytes(rng, 600), bytes.Repeat([]byte{'x'}, 700)...), 5)
	ins := []testInput{
		{"empty", nil},
		{"one-byte", []byte{'a'}},
		{"random-100k", randomBytes(rng, 100_000)},
		{"text-50k", wordText(rng, 50_000)},
		{"json-300k", jsonText(rng, 300_000)},
		{"run-100k", periodic(rng, 1, 100_000)},
		{"long-258", long258},
		{"distance-32768", farRepeat},
		{"cloudtrail-1MB", cloudTrailLog(700)},
	}
	for p := 2; p <= 9; p++ {
		ins = append(ins, testInput{fmt.Sprintf("period-%d", p), periodic(rng, p, 5000+p)})
	}
	// Sizes around the output chunk and the window slide, and a stored
	// stream around the input buffer size.
	for _, n := range []int{windowSize - 1, windowSize + 1, outChunk - 1, outChunk, outChunk + 1,
		windowSize + outChunk + 7, inBufSize + 3, 2*outChunk + 300} {
		ins = append(ins, testInput{fmt.Sprintf("json-%d", n), jsonText(rng, n)})
	}
	return ins
}

// compressor is a named gzip writer setting.
type compressor struct {
	name     string
	compress func(data []byte) []byte
}

func stdCompress(level int) func([]byte) []byte {
	return func(data []byte) []byte {
		var b bytes.Buffer
		w, err := gzip.NewWriterLevel(&b, level)
		if err != nil {
			panic(err)
		}
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
}

func klauspostCompress(level int) func([]byte) []byte {
	return func(data []byte) []byte {
		var b bytes.Buffer
		w, err := kgzip.NewWriterLevel(&b, level)
		if err != nil {
			panic(err)
		}
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
}

func compressors() []compressor {
	cs := []compressor{{"std-huffman-only", stdCompress(gzip.HuffmanOnly)}}
	for l := gzip.NoCompression; l <= gzip.BestCompression; l++ {
		cs = append(cs, compressor{fmt.Sprintf("std-%d", l), stdCompress(l)})
	}
	cs = append(cs,
		compressor{"klauspost-stateless", klauspostCompress(kgzip.StatelessCompression)},
		compressor{"klauspost-huffman-only", klauspostCompress(kgzip.HuffmanOnly)})
	for l := kgzip.NoCompression; l <= kgzip.BestCompression; l++ {
		cs = append(cs, compressor{fmt.Sprintf("klauspost-%d", l), klauspostCompress(l)})
	}
	return cs
}

// readAllSize reads r to the end with reads of n bytes.
func readAllSize(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		m, err := r.Read(buf)
		out = append(out, buf[:m]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// gunzip decompresses gz with this package, reading n bytes at a time.
func gunzip(gz []byte, n int) ([]byte, error) {
	z, err := NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return readAllSize(z, n)
}

// stdGunzip decompresses gz with compress/gzip.
func stdGunzip(gz []byte) ([]byte, error) {
	z, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(z)
}

func mustEqual(t *testing.T, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("output differs: got %d bytes, want %d, first difference at %d", len(got), len(want), i)
	}
}

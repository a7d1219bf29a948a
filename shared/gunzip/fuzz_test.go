package gunzip

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// fuzzLimit caps the output compared per input, so that a small input that
// expands enormously does not stall the fuzzer.
const fuzzLimit = 1 << 20

// FuzzReader checks this package against compress/gzip on arbitrary input:
// where compress/gzip succeeds the output must be identical, where it fails
// this package must fail too. The one intended difference is that reserved
// header flags are rejected here.
func FuzzReader(f *testing.F) {
	ins := testInputs()
	text, json := ins[3].data[:3000], ins[4].data[:20000]
	seeds := [][]byte{
		stdCompress(0)(text[:100]),
		stdCompress(6)([]byte("hello, hello, hello world")),
		stdCompress(9)(text),
		stdCompress(gzip.HuffmanOnly)(text[:500]),
		klauspostCompress(1)(json),
		klauspostCompress(-3)(json[:5000]),
		stdCompress(6)(periodic(rand.New(rand.NewPCG(3, 4)), 3, 2000)),
		withHeader(stdCompress(6)(text[:200]), flagExtra|flagName|flagComment|flagHdrCrc),
		append(stdCompress(1)(text[:50]), stdCompress(6)(text[50:120])...),
		stdCompress(6)(nil),
	}
	for _, s := range seeds {
		f.Add(s)
		for _, i := range []int{10, 11, 20, len(s) / 2, len(s) - 9} {
			if i > 0 && i < len(s) {
				c := append([]byte{}, s...)
				c[i] ^= 0x55
				f.Add(c)
			}
		}
		f.Add(s[:len(s)*2/3])
	}
	f.Fuzz(func(t *testing.T, gz []byte) {
		want, wantErr := limitedRead(func() (io.Reader, error) { return gzip.NewReader(bytes.NewReader(gz)) })
		got, err := limitedRead(func() (io.Reader, error) {
			var src io.Reader = bytes.NewReader(gz)
			switch len(gz) % 4 {
			case 2:
				src = iotest.OneByteReader(src)
			case 3:
				src = iotest.DataErrReader(src)
			}
			return NewReader(src)
		})
		if len(want) > fuzzLimit {
			mustEqual(t, got[:min(len(got), fuzzLimit)], want[:fuzzLimit])
			return
		}
		switch {
		case wantErr == nil && errors.Is(err, errReservedFlags):
		case wantErr == nil && err != nil:
			t.Fatalf("compress/gzip succeeds, this package fails: %v", err)
		case wantErr == nil:
			mustEqual(t, got, want)
		case err == nil:
			t.Fatalf("compress/gzip fails with %v, this package succeeds with %d bytes", wantErr, len(got))
		}
	})
}

// limitedRead reads at most fuzzLimit+1 bytes from the reader that open
// returns, in reads of 7 bytes and then of 64 KiB.
func limitedRead(open func() (io.Reader, error)) ([]byte, error) {
	r, err := open()
	if err != nil {
		return nil, err
	}
	var out []byte
	buf := make([]byte, 64<<10)
	for n := 7; len(out) <= fuzzLimit; n = len(buf) {
		m, err := r.Read(buf[:n])
		out = append(out, buf[:m]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

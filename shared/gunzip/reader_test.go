package gunzip

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"testing"
	"testing/iotest"
)

func TestDifferential(t *testing.T) {
	inputs := testInputs()
	for _, c := range compressors() {
		for _, in := range inputs {
			gz := c.compress(in.data)
			t.Run(c.name+"/"+in.name, func(t *testing.T) {
				want, err := stdGunzip(gz)
				if err != nil {
					t.Fatalf("compress/gzip: %v", err)
				}
				mustEqual(t, want, in.data)
				for _, n := range []int{1, 7, 4096, 1 << 20} {
					if n == 1 && len(in.data) > 50_000 {
						continue // byte-wise reads of the small inputs are enough
					}
					got, err := gunzip(gz, n)
					if err != nil {
						t.Fatalf("read size %d: %v", n, err)
					}
					mustEqual(t, got, want)
				}
				sources := map[string]func(io.Reader) io.Reader{
					"one-byte": iotest.OneByteReader,
					"half":     iotest.HalfReader,
					"data-err": iotest.DataErrReader,
				}
				for name, wrap := range sources {
					z, err := NewReader(wrap(bytes.NewReader(gz)))
					if err != nil {
						t.Fatalf("%s source: %v", name, err)
					}
					got, err := readAllSize(z, 4096)
					if err != nil {
						t.Fatalf("%s source: %v", name, err)
					}
					mustEqual(t, got, want)
				}
				z, err := NewReader(bytes.NewReader(gz))
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if _, err := z.WriteTo(&b); err != nil {
					t.Fatalf("WriteTo: %v", err)
				}
				mustEqual(t, b.Bytes(), want)
			})
		}
	}
}

func TestMultistream(t *testing.T) {
	inputs := testInputs()
	a := stdCompress(6)(inputs[3].data)
	b := klauspostCompress(1)(inputs[4].data)
	c := stdCompress(0)([]byte("third member"))
	empty := stdCompress(6)(nil)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name    string
		gz      []byte
		wantErr error
	}{
		{"two", cat(a, b), nil},
		{"three", cat(a, b, c), nil},
		{"empty-members", cat(empty, a, empty), nil},
		{"garbage-after-member", cat(a, []byte("not gzip data")), ErrHeader},
		{"partial-header-after-member", cat(a, b[:5]), io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := stdGunzip(tt.gz)
			if !errors.Is(wantErr, tt.wantErr) {
				t.Fatalf("compress/gzip returns %v, the test expects %v", wantErr, tt.wantErr)
			}
			for _, n := range []int{7, 1 << 20} {
				got, err := gunzip(tt.gz, n)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("read size %d: error %v, want %v", n, err, tt.wantErr)
				}
				mustEqual(t, got, want)
			}
		})
	}
}

// TestTruncated cuts small valid files at every byte: each cut must fail,
// with io.ErrUnexpectedEOF (or io.EOF for no input at all, like
// compress/gzip), and never yield a short output as success.
func TestTruncated(t *testing.T) {
	inputs := testInputs()
	files := map[string][]byte{
		"stored":          stdCompress(0)(inputs[3].data[:300]),
		"fixed":           stdCompress(6)([]byte("hello, hello, hello world")),
		"dynamic":         stdCompress(9)(inputs[3].data[:2000]),
		"klauspost-1":     klauspostCompress(1)(inputs[4].data[:3000]),
		"with-name-extra": withHeader(stdCompress(6)(inputs[3].data[:500]), flagExtra|flagName|flagComment|flagHdrCrc),
	}
	for name, gz := range files {
		t.Run(name, func(t *testing.T) {
			for cut := range len(gz) {
				_, stdErr := stdGunzip(gz[:cut])
				if stdErr == nil {
					t.Fatalf("cut %d: compress/gzip succeeds", cut)
				}
				got, err := gunzip(gz[:cut], 4096)
				want := io.ErrUnexpectedEOF
				if cut == 0 {
					want = io.EOF
				}
				if !errors.Is(err, want) {
					t.Fatalf("cut %d of %d: got %d bytes and error %v, want %v (compress/gzip: %v)",
						cut, len(gz), len(got), err, want, stdErr)
				}
			}
		})
	}
}

// withHeader rewrites a compress/gzip member with the given optional
// header fields.
func withHeader(gz []byte, flags byte) []byte {
	h := append([]byte{}, gz[:10]...)
	h[3] = flags
	if flags&flagExtra != 0 {
		h = append(h, 5, 0, 'A', 'B', 3, 0, 'x')
	}
	if flags&flagName != 0 {
		h = append(h, "name.json\x00"...)
	}
	if flags&flagComment != 0 {
		h = append(h, "a comment\x00"...)
	}
	if flags&flagHdrCrc != 0 {
		sum := crc32.ChecksumIEEE(h)
		h = append(h, byte(sum), byte(sum>>8))
	}
	return append(h, gz[10:]...)
}

func TestHeader(t *testing.T) {
	body := stdCompress(6)([]byte("payload payload payload"))
	badCRC := withHeader(body, flagHdrCrc|flagName)
	badCRC[len(badCRC)-len(body)+10-1] ^= 1
	longName := append(append(append([]byte{}, body[:10]...), bytes.Repeat([]byte{'n'}, 600)...), 0)
	longName[3] = flagName
	longName = append(longName, body[10:]...)
	tests := []struct {
		name    string
		gz      []byte
		wantErr error
	}{
		{"plain", body, nil},
		{"text", withHeader(body, 1), nil},
		{"all-fields", withHeader(body, flagExtra|flagName|flagComment|flagHdrCrc), nil},
		{"extra", withHeader(body, flagExtra), nil},
		{"header-crc", withHeader(body, flagHdrCrc), nil},
		{"bad-header-crc", badCRC, ErrHeader},
		{"name-over-511-bytes", longName, ErrHeader},
		{"reserved-flag-5", withHeader(body, 1<<5), ErrHeader},
		{"reserved-flag-7", withHeader(body, 1<<7), ErrHeader},
		{"bad-magic", append([]byte{0x1f, 0x8c}, body[2:]...), ErrHeader},
		{"method-not-deflate", append([]byte{0x1f, 0x8b, 7}, body[3:]...), ErrHeader},
		{"empty", nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gunzip(tt.gz, 4096)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(got) != "payload payload payload" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestCorrupt(t *testing.T) {
	data := testInputs()[3].data[:5000]
	gz := stdCompress(6)(data)
	flip := func(i int, mask byte) []byte {
		b := append([]byte{}, gz...)
		b[i] ^= mask
		return b
	}
	member := func(deflate ...byte) []byte {
		return append(append([]byte{}, gz[:10]...), append(deflate, 0, 0, 0, 0, 0, 0, 0, 0)...)
	}
	// A fixed block whose first symbol is a match at distance 1: 0x03 starts
	// a final fixed block, code 257 is 0000001, distance code 0 is 00000.
	distanceBeforeStart := member(0x03, 0x02, 0)
	n := len(gz)
	tests := []struct {
		name    string
		gz      []byte
		wantErr error // nil: a CorruptInputError
	}{
		{"crc", flip(n-8, 1), ErrChecksum},
		{"isize", flip(n-4, 1), ErrChecksum},
		// The first block header is the low 3 bits of byte 10: BFINAL and
		// BTYPE 11 (reserved).
		{"block-type-3", member(0x07, 0), nil},
		{"stored-nlen", member(0x01, 5, 0, 5, 0, 'a', 'b', 'c', 'd', 'e'), nil},
		{"distance-before-start", distanceBeforeStart, nil},
		// Each member has its own window: a match may not reach into the
		// previous member's data.
		{"distance-into-previous-member", append(append([]byte{}, gz...), distanceBeforeStart...), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, stdErr := stdGunzip(tt.gz); stdErr == nil {
				t.Fatal("compress/gzip accepts the input")
			}
			_, err := gunzip(tt.gz, 4096)
			var ce CorruptInputError
			switch {
			case tt.wantErr == nil && !errors.As(err, &ce):
				t.Fatalf("error %v, want a CorruptInputError", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

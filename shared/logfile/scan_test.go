package logfile

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSpecialFindsTheFirstSpecialByte: the SWAR test's lowest flag is the first '"', '\\' or
// control byte of the word, for every byte value at every position after plain bytes, and on
// random words (where flags above the first may be false positives, which no caller uses).
func TestSpecialFindsTheFirstSpecialByte(t *testing.T) {
	isSpecial := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	first := func(w [8]byte) int {
		for i, c := range w {
			if isSpecial(c) {
				return i
			}
		}
		return 8
	}
	got := func(w [8]byte) int { return bits.TrailingZeros64(special(binary.LittleEndian.Uint64(w[:]))) >> 3 }
	for _, filler := range []byte{'a', ' ', '!', '#', 0x21, 0x23, 0x7f, 0x80, 0xff, '[', ']'} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for i := range w {
					w[i] = filler
				}
				w[pos] = byte(c)
				if g, want := got(w), first(w); g != want {
					t.Fatalf("filler %#x, byte %#x at %d: first special at %d, want %d", filler, c, pos, g, want)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		for i := range w { // make special bytes rarer than in uniform bytes
			if r.IntN(4) > 0 {
				w[i] |= 0x20
			}
		}
		if g, want := got(w), first(w); g != want {
			t.Fatalf("word % x: first special at %d, want %d", w, g, want)
		}
	}
}

// TestStringAroundItsFirstStep: strings of every length around the 16 bytes String looks at
// first, with an escape or a control byte at every position, end where the byte-by-byte path
// (stringRest from the first byte) says, with the same verdict; plain ones end at their quote.
func TestStringAroundItsFirstStep(t *testing.T) {
	for n := range 40 {
		for at := -1; at < n; at++ { // the special byte's position in the body, or none
			for _, c := range []byte{'\\', '\n'} {
				body := []byte(strings.Repeat("a", n))
				if at >= 0 {
					body[at] = c
					if c == '\\' && at+1 < n {
						body[at+1] = 'n'
					}
				}
				b := append(append(append([]byte(`"`), body...), `"`...), strings.Repeat(" ", 30)...)
				end, err := String(b, 0)
				wantEnd, wantErr := stringRest(b, 1)
				if at < 0 && (wantEnd != n+2 || wantErr != nil) {
					t.Fatalf("n=%d: the byte-by-byte path says %d, %v; want %d", n, wantEnd, wantErr, n+2)
				}
				if end != wantEnd || (err == nil) != (wantErr == nil) {
					t.Errorf("n=%d, %q at %d: String = %d, %v; byte by byte: %d, %v", n, c, at, end, err, wantEnd, wantErr)
				}
			}
		}
	}
}

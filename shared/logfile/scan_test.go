package logfile

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
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

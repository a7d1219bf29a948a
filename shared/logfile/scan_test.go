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

// TestShortStringHandsOverExactly: for strings of every length around the 16 bytes ShortString
// looks at, with an escape or a control byte at every position, it ends the string when its
// closing quote is the first special byte within those 16, and otherwise hands over at the first
// special byte (or after the 16), from where StringFrom ends the string where String does.
func TestShortStringHandsOverExactly(t *testing.T) {
	for n := range 40 {
		for at := -1; at < n; at++ { // the special byte's position in the body, or none
			for _, c := range []byte{'\\', '\n'} {
				body := []byte(strings.Repeat("a", n))
				first := n // the first special byte: the closing quote, unless one is put before it
				if at >= 0 {
					body[at], first = c, at
					if c == '\\' && at+1 < n {
						body[at+1] = 'n'
					}
				}
				b := append(append(append([]byte(`"`), body...), `"`...), strings.Repeat(" ", 30)...)
				j := ShortString(b, 0)
				var want int
				switch {
				case first == n && n <= 16:
					want = n + 2 // past the closing quote
				case first < 16:
					want = ^(1 + first)
				default:
					want = ^17
				}
				if j != want {
					t.Fatalf("n=%d, %q at %d: ShortString = %d, want %d", n, c, at, j, want)
				}
				if j < 0 {
					end, err := StringFrom(b, ^j)
					wantEnd, wantErr := String(b, 0)
					if end != wantEnd || (err == nil) != (wantErr == nil) {
						t.Errorf("n=%d, %q at %d: StringFrom: %d, %v; String: %d, %v", n, c, at, end, err, wantEnd, wantErr)
					}
				}
			}
		}
	}
}

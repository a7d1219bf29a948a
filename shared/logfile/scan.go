package logfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// ErrShort says the buffer ends inside the value: the reader reads more and scans the record
// again from its start.
var ErrShort = errors.New("value continues past the buffer")

// SyntaxError is invalid JSON at index At of the scanned buffer.
type SyntaxError struct {
	At  int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.At, e.Msg) }

// Syntax returns a *SyntaxError at index at.
func Syntax(at int, format string, args ...any) error {
	return &SyntaxError{At: at, Msg: fmt.Sprintf(format, args...)}
}

// maxDepth bounds nesting; CloudTrail records nest a few levels, so deeper is malformed.
const maxDepth = 512

// Scanner validates JSON values without decoding them. Its stack is reused across values.
type Scanner struct {
	stack []byte
}

// Value validates the JSON value starting at b[i] (after optional whitespace) and returns
// the index just past it; ErrShort when b ends before the value does.
func (s *Scanner) Value(b []byte, i int) (int, error) {
	s.stack = s.stack[:0]
	fail := func(at int, format string, args ...any) (int, error) { return 0, Syntax(at, format, args...) }
	var err error
value:
	if i = SkipSpace(b, i); i >= len(b) {
		return 0, ErrShort
	}
	switch c := b[i]; c {
	case '{', '[':
		if len(s.stack) == maxDepth {
			return fail(i, "nested deeper than %d", maxDepth)
		}
		closer := c + 2 // '{' → '}', '[' → ']'
		s.stack = append(s.stack, closer)
		if i = SkipSpace(b, i+1); i >= len(b) {
			return 0, ErrShort
		}
		if b[i] == closer {
			s.stack = s.stack[:len(s.stack)-1]
			i++
			goto after
		}
		if c == '{' {
			goto key
		}
		goto value
	case '"':
		if i, err = String(b, i); err != nil {
			return 0, err
		}
	case 't':
		if i, err = Literal(b, i, "true"); err != nil {
			return 0, err
		}
	case 'f':
		if i, err = Literal(b, i, "false"); err != nil {
			return 0, err
		}
	case 'n':
		if i, err = Literal(b, i, "null"); err != nil {
			return 0, err
		}
	default:
		if c == '-' || c >= '0' && c <= '9' {
			if i, err = scanNumber(b, i); err != nil {
				return 0, err
			}
			break
		}
		return fail(i, "unexpected %q where a value belongs", c)
	}
after:
	if len(s.stack) == 0 {
		return i, nil
	}
	if i = SkipSpace(b, i); i >= len(b) {
		return 0, ErrShort
	}
	switch c := b[i]; {
	case c == ',':
		i++
		if s.stack[len(s.stack)-1] == '}' {
			goto key
		}
		goto value
	case c == s.stack[len(s.stack)-1]:
		s.stack = s.stack[:len(s.stack)-1]
		i++
		goto after
	default:
		return fail(i, "unexpected %q after a value (want ',' or %q)", c, s.stack[len(s.stack)-1])
	}
key:
	if i = SkipSpace(b, i); i >= len(b) {
		return 0, ErrShort
	}
	if b[i] != '"' {
		return fail(i, "unexpected %q where an object key belongs", b[i])
	}
	if i, err = String(b, i); err != nil {
		return 0, err
	}
	if i = SkipSpace(b, i); i >= len(b) {
		return 0, ErrShort
	}
	if b[i] != ':' {
		return fail(i, "unexpected %q after an object key (want ':')", b[i])
	}
	i++
	goto value
}

// SkipSpace returns the index of the first non-whitespace byte of b at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// Literal checks that b[i:] starts with the literal word (true, false, null).
func Literal(b []byte, i int, word string) (int, error) {
	for j := 0; j < len(word); j++ {
		if i+j >= len(b) {
			return 0, ErrShort
		}
		if b[i+j] != word[j] {
			return 0, Syntax(i+j, "invalid literal (want %s)", word)
		}
	}
	return i + len(word), nil
}

func scanNumber(b []byte, i int) (int, error) {
	digits := func(i int) (int, int) {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j, j - i
	}
	bad := func(at int) (int, error) { return 0, Syntax(at, "invalid number") }
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return 0, ErrShort
	}
	var n int
	if b[i] == '0' {
		i++
	} else if i, n = digits(i); n == 0 {
		return bad(i)
	}
	if i < len(b) && b[i] == '.' {
		if i, n = digits(i + 1); n == 0 {
			if i >= len(b) {
				return 0, ErrShort
			}
			return bad(i)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i, n = digits(i); n == 0 {
			if i >= len(b) {
				return 0, ErrShort
			}
			return bad(i)
		}
	}
	if i >= len(b) {
		return 0, ErrShort // the number may go on in the next read
	}
	return i, nil
}

// SWAR constants: a byte-wise test of eight bytes at once.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	bslash = '\\' * ones
	flip   = 0x02 * ones
	below  = 0x21 * ones
)

// specialByte returns the index of the first '"', '\\' or control byte in b[i:], or len(b).
// Eight bytes at a time: strings are most of a record, and most of their bytes are plain.
func specialByte(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		// The lowest flagged byte is exact; higher ones may be false positives.
		if t := special(binary.LittleEndian.Uint64(b[i:])); t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// String validates the string starting at b[i] == '"' and returns the index past its
// closing quote. Most keys and many values end within the 16 bytes after the quote: those are
// looked at first, at once. Longer strings go on eight bytes at a time while no escape or
// control byte comes; stringRest takes over at the first one.
func String(b []byte, i int) (int, error) {
	i++
	if i+17 <= len(b) {
		t := special(binary.LittleEndian.Uint64(b[i:]))
		if t == 0 {
			// With no flag in the next eight bytes either, TrailingZeros64 is 64 and i ends on
			// the 17th byte: a quote there still ends the string.
			t = special(binary.LittleEndian.Uint64(b[i+8:]))
			i += 8
		}
		if i += bits.TrailingZeros64(t) >> 3; b[i] == '"' {
			return i + 1, nil
		}
	}
	for i+8 <= len(b) {
		t := special(binary.LittleEndian.Uint64(b[i:]))
		if t == 0 {
			i += 8
			continue
		}
		if i += bits.TrailingZeros64(t) >> 3; b[i] == '"' {
			return i + 1, nil
		}
		break
	}
	return stringRest(b, i)
}

// Key is String for an object key, also saying whether the key is plain: certainly printable
// ASCII without escapes, so its bytes are its name and no decoder folds it into another. A
// key with a backslash or a byte above 0x7f, or one longer than sixteen bytes or near the
// buffer's end (read through the slow path), is not said to be plain: a caller matching keys
// by their bytes must look at it before taking it for another name's absence (a decoder
// unescapes "event\u004eame" to eventName; Go's decoders fold the Kelvin sign to k).
func Key(b []byte, i int) (end int, plain bool, err error) {
	start := i + 1
	i++
	if i+17 <= len(b) {
		t := specialOrHigh(binary.LittleEndian.Uint64(b[i:]))
		if t == 0 {
			t = specialOrHigh(binary.LittleEndian.Uint64(b[i+8:]))
			i += 8
		}
		if i += bits.TrailingZeros64(t) >> 3; b[i] == '"' {
			return i + 1, true, nil
		}
	}
	end, err = stringRest(b, start)
	return end, false, err
}

// specialOrHigh is special, with bytes above 0x7f flagged too.
func specialOrHigh(x uint64) uint64 { return special(x) | x&highs }

// stringRest validates the rest of a string from b[i] on: escapes, control bytes, and the
// string's last bytes before the end of the buffer.
func stringRest(b []byte, i int) (int, error) {
	for {
		i = specialByte(b, i)
		if i >= len(b) {
			return 0, ErrShort
		}
		switch c := b[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			if i+1 >= len(b) {
				return 0, ErrShort
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return 0, ErrShort
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, Syntax(i, "invalid \\u escape in string")
					}
				}
				i += 6
			default:
				return 0, Syntax(i, "invalid escape \\%c in string", b[i+1])
			}
		default:
			return 0, Syntax(i, "control character %#02x in string", c)
		}
	}
}

// skipLoose finds the end of a malformed value starting at b[i], to resynchronise after it:
// strings and brackets are matched, nothing else is checked. It stops after the bracket that
// closes the value, or before a ',' or closing bracket at its own level.
func skipLoose(b []byte, i int) (int, error) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			j := i + 1
			for {
				j = specialByte(b, j)
				if j >= len(b) {
					return 0, ErrShort
				}
				if b[j] == '"' {
					break
				}
				if b[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, nil
			}
			if depth--; depth == 0 {
				return i + 1, nil
			}
		case ',':
			if depth == 0 {
				return i, nil
			}
		}
		i++
	}
	return 0, ErrShort
}

// special flags (in each byte's high bit) the bytes of x that end or interrupt a plain string
// run: '"', '\\' and control bytes. Only the lowest flag is exact.
//
// Flipping bit 1 of every byte maps '"' (0x22) to 0x20 and keeps 0x00–0x1f below 0x20, while
// no other byte drops below 0x21: so one "byte < 0x21" test finds both the quote and the
// control bytes, and a second test finds '\\'.
func special(x uint64) uint64 {
	y, s := x^flip, x^bslash
	return (((y - below) &^ y) | ((s - ones) &^ s)) & highs
}

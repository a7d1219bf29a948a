package localrun

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// form is how an input lays out its events, decided by its first event.
type form int

const (
	formUndecided form = iota // before the first event is framed
	formLines                 // JSON lines: every event ends on the line it starts on
	formStream                // JSON values one after another, spanning lines (pretty-printed)
)

// DefaultMaxEventBytes bounds one event of a local replay: far above any payload Lambda
// delivers (6 MB), so only a runaway input (a file with no line breaks, a value never closed)
// reaches it, and it is then skipped instead of being held whole in memory.
const DefaultMaxEventBytes = 64 << 20

// framer cuts an input into its JSON values as it reads it, holding one value at a time, and
// numbers the lines, so a replay of a file of any size uses the memory of its largest event.
//
// The form is told by the first value: when it ends on the line it starts on, the input is
// JSON lines, and a line that does not hold whole values is reported and the next line read.
// When the first value goes on past its line (a pretty-printed event), the input is a stream
// of values in which line breaks are only spacing. One exception: a first line that opens a
// value with content after the bracket, followed by a line starting with "{" or "[", is a
// broken first line of JSON lines (a pretty printer puts the next key on an indented line).
type framer struct {
	in   *bufio.Reader
	line int // line of the next unread byte, from 1
	form form
	max  int
	buf  []byte
	long bool // the value being framed exceeded max and is no longer kept
}

// framed is one value of the input: its bytes (valid until the next call), the line it
// starts on, and what is wrong with it, if anything.
type framed struct {
	raw  []byte
	line int
	err  error
}

func newFramer(max int) *framer {
	if max <= 0 {
		max = DefaultMaxEventBytes
	}
	return &framer{in: bufio.NewReaderSize(nil, 64<<10), max: max}
}

// reset starts framing a new input, keeping the buffers. A UTF-8 byte order mark, which
// some editors put at the start of a file they save, is read past.
func (f *framer) reset(r io.Reader) {
	f.in.Reset(r)
	f.line, f.form = 1, formUndecided
	if b, _ := f.in.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		f.in.Discard(len(utf8BOM))
	}
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// errIncompleteLine is a JSON-lines line that ends inside a value.
var errIncompleteLine = errors.New("not JSON: value not closed at the end of the line")

// next frames the next value. Its error is io.EOF at the end of the input, or a read error:
// problems of the value itself are in framed.err, and reading can go on after them.
func (f *framer) next() (framed, error) {
	c, err := f.skipSpace()
	if err != nil {
		return framed{}, err
	}
	v := framed{line: f.line}
	f.buf, f.long = f.buf[:0], false
	endedLine, err := f.value(c, &v)
	if err != nil && err != io.EOF {
		return framed{}, err
	}
	if f.form == formUndecided {
		f.form = formLines
	}
	v.raw = f.buf
	switch {
	case v.err != nil:
	case f.long:
		v.err = fmt.Errorf("event longer than %d bytes: skipped", f.max)
	case !json.Valid(v.raw):
		v.err = f.syntaxError(&v)
	}
	if v.err != nil && f.form == formLines && !endedLine {
		// The rest of a bad line is part of the same bad line: one report, then the next line.
		if err := f.skipLine(); err != nil && err != io.EOF {
			return framed{}, err
		}
	}
	return v, nil
}

// skipSpace reads past spacing and returns the first byte after it.
func (f *framer) skipSpace() (byte, error) {
	for {
		c, err := f.in.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case '\n':
			f.line++
		case ' ', '\t', '\r':
		default:
			return c, nil
		}
	}
}

// skipLine reads to the end of the current line, keeping none of it.
func (f *framer) skipLine() error {
	for {
		_, err := f.in.ReadSlice('\n')
		if err == nil {
			f.line++
			return nil
		}
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

func (f *framer) keep(b []byte) {
	if f.long || len(f.buf)+len(b) > f.max {
		f.long = true
		return
	}
	f.buf = append(f.buf, b...)
}

// value reads the rest of a value that starts with c into f.buf. endedLine tells that the
// line break after the value was read too (the value was cut at the end of its line).
func (f *framer) value(c byte, v *framed) (endedLine bool, err error) {
	f.buf = append(f.buf, c)
	depth, inString, escaped := 0, false, false
	switch c {
	case '{', '[':
		depth = 1
	case '"':
		inString = true
	case '}', ']', ',', ':':
		return false, nil // a stray delimiter: json.Valid names it
	default:
		return false, f.scalar()
	}
	content := false // anything but spacing after the opening bracket, on the first line
	for {
		chunk, err := f.peek()
		if err == io.EOF {
			v.err = fmt.Errorf("not JSON: %w: the input ends inside a value", io.ErrUnexpectedEOF)
			return false, err
		} else if err != nil {
			return false, err
		}
		i, newline, done := 0, false, false
	scan:
		for ; i < len(chunk); i++ {
			b := chunk[i]
			if inString {
				switch {
				case escaped:
					escaped = false
				case b == '\\':
					escaped = true
				case b == '"':
					inString = false
					if depth == 0 {
						i, done = i+1, true
						break scan
					}
				case b == '\n':
					i, newline = i+1, true
					break scan
				}
				continue
			}
			switch b {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					i, done = i+1, true
					break scan
				}
			case '\n':
				i, newline = i+1, true
				break scan
			case ' ', '\t', '\r':
				continue
			}
			content = true
		}
		f.keep(chunk[:i])
		f.in.Discard(i)
		if done {
			return false, nil
		}
		if !newline {
			continue
		}
		f.line++
		if f.form == formUndecided {
			f.form = formStream
			if content && !inString {
				if next, err := f.in.Peek(1); err == nil && (next[0] == '{' || next[0] == '[') {
					f.form = formLines
				}
			}
			if inString {
				f.form = formLines // no pretty printer breaks a line inside a string
			}
		}
		if f.form == formLines {
			v.err = errIncompleteLine
			return true, nil
		}
	}
}

// scalar reads the rest of a bare word (number, true, false, null, or junk) up to spacing or
// a delimiter.
func (f *framer) scalar() error {
	for {
		chunk, err := f.peek()
		if err != nil {
			return err
		}
		i := 0
		for ; i < len(chunk); i++ {
			switch chunk[i] {
			case ' ', '\t', '\r', '\n', '{', '}', '[', ']', ',', ':', '"':
				f.keep(chunk[:i])
				f.in.Discard(i)
				return nil
			}
		}
		f.keep(chunk)
		f.in.Discard(i)
	}
}

// peek returns the buffered input, reading more when none is left.
func (f *framer) peek() ([]byte, error) {
	if f.in.Buffered() == 0 {
		if _, err := f.in.Peek(1); err != nil {
			return nil, err
		}
	}
	return f.in.Peek(f.in.Buffered())
}

// syntaxError describes why a framed value is not JSON, and moves v.line to the line of the
// fault.
func (f *framer) syntaxError(v *framed) error {
	var raw json.RawMessage
	err := json.Unmarshal(v.raw, &raw)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 {
		v.line += bytes.Count(v.raw[:min(int(se.Offset)-1, len(v.raw))], []byte("\n"))
	}
	if err == nil {
		err = errors.New("invalid JSON") // json.Valid and json.Unmarshal disagree: never seen
	}
	return fmt.Errorf("not JSON: %w", err)
}

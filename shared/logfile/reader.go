package logfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/trailguard/trailguard/shared/gunzip"
	"github.com/trailguard/trailguard/shared/trail"
)

// MaxRecord bounds one record's size (CloudTrail's own events are at most a few hundred KB):
// a record that still needs more input once MaxRecord bytes of it are buffered makes the file
// fail, instead of the buffer growing without end.
const MaxRecord = 8 << 20

// readSize is how much one read asks for: records that straddle two reads are scanned twice,
// so reads are large next to a record. Tests read with small sizes (newReaderSize), so every
// path that refills the buffer mid-record runs.
const readSize = 256 << 10

// Reader yields the records of one audit log file, one at a time, reading its stream as it
// goes: memory holds the record at hand and a read buffer, never the file. It accepts
// CloudTrail's {"Records":[…]}, a top-level array of records, and JSON lines (one record per
// line), gzipped or not (detected from the content, not the name).
type Reader struct {
	stored  countingReader // the bytes as stored (compressed, when gzipped)
	src     io.Reader      // the decompressed stream
	decoded int64

	buf         []byte
	start, end  int   // the unread bytes are buf[start:end]
	decodedBase int64 // decompressed offset of buf[0]
	eof         bool
	opener      byte // the file's first non-space byte
	state       state
	records     int
	sc          Scanner
	validate    ParseFunc // sc.Value as a ParseFunc, bound once
	readSize    int       // bytes one fill asks for (readSize but in tests)
}

type state int

const (
	stStart      state = iota
	stFirst            // inside the array, before its first element or ']'
	stNext             // inside the array, after an element
	stElement          // inside the array, at an element
	stEnvelope         // after the Records array: the envelope's '}' is due
	stTrailer          // after the log: only whitespace may follow
	stLines            // JSON lines
	stEnvelopeAt       // at '{': Records envelope or a JSON-lines record?
)

// NewReader starts reading r, detecting gzip from its first bytes.
func NewReader(r io.Reader) (*Reader, error) { return newReaderSize(r, readSize) }

// newReaderSize is NewReader with fills of size bytes (at least 2).
func newReaderSize(r io.Reader, size int) (*Reader, error) {
	size = max(size, 2)
	lr := &Reader{buf: make([]byte, 2*size), readSize: size}
	lr.validate = lr.validateRecord
	lr.stored.r = r
	br := bufio.NewReaderSize(&lr.stored, size)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read log file: %w", err)
	}
	lr.src = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gunzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("log file: gzip header: %w", err)
		}
		lr.src = gz
	}
	return lr, nil
}

// Records is the number of records met so far, malformed ones included.
func (r *Reader) Records() int { return r.records }

// StoredBytes is the number of bytes read from the underlying reader (compressed, if gzipped).
func (r *Reader) StoredBytes() int64 { return r.stored.n }

// DecodedBytes is the number of decompressed bytes read so far.
func (r *Reader) DecodedBytes() int64 { return r.decoded }

// RecordError is one malformed record: the reader skipped it and goes on with the next.
// errors.Is(err, trail.ErrMalformed) holds for it.
type RecordError struct {
	Index  int   // 0-based position of the record in the file
	Offset int64 // decompressed byte offset of its start
	Err    error
	// Record is the record's JSON when it is one whole valid JSON object that the ParseFunc
	// refused on its fields only (see ParseFunc), valid until the next call: a consumer that
	// reads other fields (the detection rules) may still use it. Nil for invalid JSON.
	Record []byte
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d (offset %d): %v", e.Index, e.Offset, e.Err)
}

func (e *RecordError) Unwrap() []error { return []error{trail.ErrMalformed, e.Err} }

// ParseFunc parses one record, the JSON value starting at b[i] (perhaps after whitespace),
// and returns the index just past it. When b ends before the record does it returns ErrShort,
// and it is called again from the record's start with more input; a JSON-lines record is
// given its line alone. Any other error makes the record malformed: the reader skips it.
// A ParseFunc validates the record and keeps what its caller needs from it (as slices of b,
// valid until the next call), so a record is read in one pass. When it read the whole record,
// valid JSON, and refuses it on its fields only (not a *SyntaxError), it returns the record's
// end with the error: the reader then hands the record out in the RecordError.
type ParseFunc func(b []byte, i int) (end int, err error)

// Next returns the next record's JSON, valid until the next call. At the end of the file it
// returns io.EOF. A malformed record (invalid JSON, or not an object) yields a *RecordError:
// count it and call Next again. Any other error (a truncated file, a broken gzip stream, a
// file that is no log) ends the read.
func (r *Reader) Next() ([]byte, error) { return r.NextFunc(r.validate) }

// validateRecord is the ParseFunc of Next: any valid JSON object.
func (r *Reader) validateRecord(b []byte, i int) (int, error) {
	if i = SkipSpace(b, i); i < len(b) && b[i] != '{' {
		return 0, Syntax(i, "a JSON %s, not a record object", kind(b[i]))
	}
	return r.sc.Value(b, i)
}

// NextFunc is Next with the record parsed by parse.
func (r *Reader) NextFunc(parse ParseFunc) ([]byte, error) {
	for {
		switch r.state {
		case stStart:
			c, err := r.peek()
			if err == io.EOF {
				return nil, io.EOF // an empty file has no records
			} else if err != nil {
				return nil, err
			}
			r.opener = c
			switch c {
			case '[':
				r.start++
				r.state = stFirst
			case '{':
				r.state = stEnvelopeAt
			default:
				return nil, r.fileError("starts with %q, not a CloudTrail log (want {\"Records\":[…]}, an array, or JSON lines)", c)
			}
		case stEnvelopeAt:
			envelope, err := r.recordsEnvelope()
			if err != nil {
				return nil, err
			}
			r.state = stLines
			if envelope {
				r.state = stFirst
			}
		case stFirst, stNext:
			c, err := r.peek()
			if err != nil {
				return nil, r.truncated(err)
			}
			switch {
			case c == ']':
				r.start++
				r.state = stTrailer
				if r.envelope() {
					r.state = stEnvelope
				}
			case r.state == stNext && c == ',':
				r.start++
				r.state = stElement
			case r.state == stFirst:
				r.state = stElement
			default:
				return nil, r.fileError("unexpected %q after record %d (want ',' or ']')", c, r.records-1)
			}
		case stElement:
			r.state = stNext
			return r.element(parse)
		case stEnvelope:
			c, err := r.peek()
			if err != nil {
				return nil, r.truncated(err)
			}
			if c != '}' {
				return nil, r.fileError("unexpected %q after the Records array (want '}')", c)
			}
			r.start++
			r.state = stTrailer
		case stTrailer:
			c, err := r.peek()
			if err == io.EOF {
				return nil, io.EOF
			} else if err != nil {
				return nil, err
			}
			return nil, r.fileError("unexpected %q after the end of the log", c)
		case stLines:
			if _, err := r.peek(); err != nil {
				return nil, err // io.EOF: the last line was read
			}
			return r.line(parse)
		}
	}
}

// envelopeKey opens a CloudTrail file's record array.
var envelopeKey = []byte(`"Records"`)

// recordsEnvelope reports whether the object at the read position is CloudTrail's envelope
// ({"Records":[), consuming through the '[' when it is. Anything else is taken as the first
// record of a JSON-lines file (a record has no "Records" key).
func (r *Reader) recordsEnvelope() (bool, error) {
	for {
		b := r.buf[r.start:r.end]
		i := SkipSpace(b, 1)
		switch {
		case i < len(b) && b[i] != '"':
			return false, nil
		case i+len(envelopeKey) <= len(b) && !bytes.Equal(b[i:i+len(envelopeKey)], envelopeKey):
			return false, nil
		case i+len(envelopeKey) <= len(b):
			j := SkipSpace(b, i+len(envelopeKey))
			if j < len(b) && b[j] != ':' {
				return false, nil
			}
			if j < len(b) {
				k := SkipSpace(b, j+1)
				if k < len(b) {
					if b[k] != '[' {
						return false, nil
					}
					r.start += k + 1
					return true, nil
				}
			}
		}
		if err := r.fill(); err != nil {
			if err == io.EOF {
				return false, nil // too short for an envelope: let the line reader judge it
			}
			return false, err
		}
	}
}

// envelope reports whether the array being read is the Records member of an envelope: the
// file's first non-space byte was '{'.
func (r *Reader) envelope() bool { return r.opener == '{' }

// element reads one array element.
func (r *Reader) element(parse ParseFunc) ([]byte, error) {
	index := r.records
	r.records++
	for {
		b := r.buf[r.start:r.end]
		i := SkipSpace(b, 0)
		if i == len(b) {
			if err := r.fill(); err != nil {
				return nil, r.truncated(err)
			}
			continue
		}
		end, err := parse(b, i)
		if err == ErrShort {
			if err := r.fill(); err != nil {
				return nil, r.truncated(err)
			}
			continue
		}
		offset := r.offset(i)
		if err != nil {
			if whole(err, i, end, len(b)) {
				r.start += end
				return nil, &RecordError{Index: index, Offset: offset, Err: err, Record: b[i:end]}
			}
			relative(err, i)
			if err := r.resync(i); err != nil {
				return nil, err
			}
			return nil, &RecordError{Index: index, Offset: offset, Err: err}
		}
		r.start += end
		return b[i:end], nil
	}
}

// whole says whether a ParseFunc's error with end concerns a whole, valid record b[i:end]: it
// is no syntax error, and end lies past the record's first byte and within the buffer.
func whole(err error, i, end, n int) bool {
	var se *SyntaxError
	return end > i && end <= n && !errors.As(err, &se)
}

// relative makes a syntax error's index relative to the record's start at i.
func relative(err error, i int) {
	var se *SyntaxError
	if errors.As(err, &se) {
		se.At -= i
	}
}

// resync skips the malformed element starting at buf[start+i]. i is relative to the unread
// bytes, which fill keeps in place relative to start (it moves them to the buffer's start and
// start with them), so i stays valid across fills.
func (r *Reader) resync(i int) error {
	for {
		end, err := skipLoose(r.buf[r.start:r.end], i)
		if err == nil {
			r.start += end
			return nil
		}
		if err := r.fill(); err != nil {
			return r.truncated(err)
		}
	}
}

// line reads one JSON-lines record.
func (r *Reader) line(parse ParseFunc) ([]byte, error) {
	for {
		b := r.buf[r.start:r.end]
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 && !r.eof {
			if err := r.fill(); err != nil && err != io.EOF {
				return nil, err
			}
			continue
		}
		if nl < 0 {
			nl = len(b)
		}
		index := r.records
		r.records++
		line := b[:nl]
		offset := r.offset(0)
		r.start += min(nl+1, len(b))
		i := SkipSpace(line, 0)
		end, err := parse(line, i)
		var rec []byte // the record refused on its fields, when it is whole and alone on its line
		switch {
		case err == ErrShort:
			err = fmt.Errorf("the line ends inside the record")
		case (err == nil || whole(err, i, end, len(line))) && SkipSpace(line, end) != len(line):
			err = fmt.Errorf("unexpected %q after the record on its line", line[SkipSpace(line, end)])
		case err != nil && whole(err, i, end, len(line)):
			rec = line[i:end]
		}
		if err != nil {
			relative(err, i)
			return nil, &RecordError{Index: index, Offset: offset, Err: err, Record: rec}
		}
		return line[i:end], nil
	}
}

// peek skips whitespace and returns the next byte without consuming it.
func (r *Reader) peek() (byte, error) {
	for {
		r.start += SkipSpace(r.buf[r.start:r.end], 0)
		if r.start < r.end {
			return r.buf[r.start], nil
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
}

// fill reads more input after the unread bytes, moving them to the buffer's start and
// growing it when a record needs more room. It returns io.EOF at the end of the stream.
func (r *Reader) fill() error {
	if r.eof {
		return io.EOF
	}
	if r.start > 0 {
		r.decodedBase += int64(r.start)
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	if r.end >= MaxRecord {
		return r.fileError("a record longer than %d bytes", MaxRecord)
	}
	if len(r.buf)-r.end < r.readSize {
		r.buf = append(r.buf[:r.end], make([]byte, len(r.buf))...)
		r.buf = r.buf[:cap(r.buf)]
	}
	// A decompressor hands out what it has decoded per Read, maybe little: read on to fill
	// most of readSize, so few records straddle two reads.
	var n int
	var err error
	for n < r.readSize/2 && err == nil {
		var m int
		m, err = r.src.Read(r.buf[r.end+n : r.end+r.readSize])
		n += m
	}
	r.end += n
	r.decoded += int64(n)
	switch {
	case err == io.EOF:
		r.eof = true
		if n == 0 {
			return io.EOF
		}
	case err != nil:
		return fmt.Errorf("read log file at offset %d: %w", r.decoded, err)
	}
	return nil
}

// offset is the decompressed offset of buf[start+i].
func (r *Reader) offset(i int) int64 { return r.decodedBase + int64(r.start+i) }

func (r *Reader) fileError(format string, args ...any) error {
	return fmt.Errorf("log file at offset %d: %s", r.offset(0), fmt.Sprintf(format, args...))
}

// truncated turns an end of input inside the log's structure into an error saying so.
func (r *Reader) truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return r.fileError("truncated: the input ends inside the Records array")
	}
	return err
}

func kind(c byte) string {
	switch c {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

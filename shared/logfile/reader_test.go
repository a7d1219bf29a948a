package logfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/trail"
)

// readAll reads every record, returning the records and the indexes of malformed ones.
func readAll(t *testing.T, r io.Reader) (recs []string, malformed []int, err error) {
	t.Helper()
	lr, err := NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	for {
		rec, err := lr.Next()
		if err == io.EOF {
			if lr.Records() != len(recs)+len(malformed) {
				t.Errorf("Records() = %d, want %d", lr.Records(), len(recs)+len(malformed))
			}
			return recs, malformed, nil
		}
		var re *RecordError
		if errors.As(err, &re) {
			if !errors.Is(err, trail.ErrMalformed) {
				t.Errorf("record error %v is not trail.ErrMalformed", err)
			}
			malformed = append(malformed, re.Index)
			continue
		}
		if err != nil {
			return recs, malformed, err
		}
		recs = append(recs, string(rec))
	}
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestReaderFormats(t *testing.T) {
	a, b := `{"eventName":"A","n":[1,2.5e3,-0.1,true,false,null],"s":"x\"\\\u00e9"}`, `{"eventName":"B","o":{}}`
	tests := []struct {
		name      string
		in        string
		want      []string
		malformed []int
		err       string
	}{
		{name: "envelope", in: `{"Records":[` + a + `,` + b + `]}`, want: []string{a, b}},
		{name: "envelope pretty", in: "{\n  \"Records\" : [\n    " + a + " ,\n  " + b + "\n  ]\n}\n", want: []string{a, b}},
		{name: "envelope empty", in: `{"Records":[]}`},
		{name: "array", in: `[` + a + `,` + b + `]`, want: []string{a, b}},
		{name: "array empty", in: " [ ] \n"},
		{name: "JSON lines", in: a + "\n" + b + "\n", want: []string{a, b}},
		{name: "JSON lines CRLF no final newline", in: a + "\r\n\r\n" + b, want: []string{a, b}},
		{name: "empty file", in: ""},
		{name: "whitespace only", in: " \n\t"},
		{name: "malformed element skipped", in: `{"Records":[` + a + `,{"eventName": tru},` + b + `]}`, want: []string{a, b}, malformed: []int{1}},
		{name: "malformed string escape skipped", in: `[{"x":"\q"},` + a + `]`, want: []string{a}, malformed: []int{0}},
		{name: "element not an object", in: `{"Records":[null,` + a + `,"x",42,[` + b + `]]}`, want: []string{a}, malformed: []int{0, 2, 3, 4}},
		{name: "bare word element", in: `[` + a + `,garbage,` + b + `]`, want: []string{a, b}, malformed: []int{1}},
		{name: "malformed line skipped", in: a + "\n{\"eventName\":\"C\"\n" + b + "\n", want: []string{a, b}, malformed: []int{1}},
		{name: "line with trailing data", in: a + " x\n" + b + "\n", want: []string{b}, malformed: []int{0}},
		{name: "line not an object", in: a + "\n[1]\n" + b + "\n", want: []string{a, b}, malformed: []int{1}},
		{name: "control character in string", in: "[{\"a\":\"x\ty\"}," + a + "]", want: []string{a}, malformed: []int{0}},
		{name: "truncated array", in: `{"Records":[` + a + `,` + b[:10], want: []string{a}, err: "truncated"},
		{name: "truncated after element", in: `{"Records":[` + a, want: []string{a}, err: "truncated"},
		{name: "envelope not closed", in: `{"Records":[` + a + `]`, want: []string{a}, err: "truncated"},
		{name: "missing comma", in: `[` + a + ` ` + b + `]`, want: []string{a}, err: "want ',' or ']'"},
		{name: "data after the log", in: `[` + a + `] []`, want: []string{a}, err: "after the end of the log"},
		{name: "not a log", in: `hello`, err: "not a CloudTrail log"},
	}
	for _, tt := range tests {
		for _, compressed := range []bool{false, true} {
			name := tt.name
			in := []byte(tt.in)
			if compressed {
				name += "/gzip"
				in = gz(tt.in)
			}
			t.Run(name, func(t *testing.T) {
				// One byte per Read: every value crosses a buffer refill somewhere.
				recs, malformed, err := readAll(t, iotest.OneByteReader(bytes.NewReader(in)))
				if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				if strings.Join(recs, "\n") != strings.Join(tt.want, "\n") {
					t.Errorf("records = %q, want %q", recs, tt.want)
				}
				if len(malformed) != len(tt.malformed) || len(tt.malformed) > 0 && !equalInts(malformed, tt.malformed) {
					t.Errorf("malformed = %v, want %v", malformed, tt.malformed)
				}
			})
		}
	}
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestReaderGzipErrors(t *testing.T) {
	good := gz(`{"Records":[{"eventName":"A"}]}`)
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-6] ^= 0xff // CRC32 of the member
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated gzip stream", good[:len(good)-12]},
		{"checksum mismatch", corrupt},
		{"bad header", append([]byte{0x1f, 0x8b, 0x00}, good[3:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := readAll(t, bytes.NewReader(tt.in)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestReaderLargeFileMatchesEncodingJSON(t *testing.T) {
	const n = 3000
	raw, err := io.ReadAll(trailgen.Bench(11, n))
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Records []json.RawMessage }
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{raw, gz(string(raw))} {
		lr, err := NewReader(iotest.HalfReader(bytes.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			rec, err := lr.Next()
			if err == io.EOF {
				if i != n {
					t.Fatalf("read %d records, want %d", i, n)
				}
				break
			}
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if !bytes.Equal(rec, want.Records[i]) {
				t.Fatalf("record %d differs:\n%s\nwant\n%s", i, rec, want.Records[i])
			}
		}
		if lr.DecodedBytes() != int64(len(raw)) || lr.StoredBytes() != int64(len(in)) {
			t.Errorf("bytes decoded %d stored %d, want %d %d", lr.DecodedBytes(), lr.StoredBytes(), len(raw), len(in))
		}
	}
}

func TestReaderRecordTooLong(t *testing.T) {
	big := `[{"a":"` + strings.Repeat("x", MaxRecord+2*readSize) + `"}]`
	_, _, err := readAll(t, strings.NewReader(big))
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("error = %v, want a record-too-long error", err)
	}
}

// FuzzScannerAgreesWithEncodingJSON: the validator accepts exactly what encoding/json accepts.
func FuzzScannerAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `"a\u00e9\n"`, `-0.5e+10`, `01`, `{"a":[1,{"b":null}]}`, `{"a" 1}`, `[1,]`, `"\x"`, `tru`, `1.`, `{"a":"\u12"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			// Invalid input: the scanner must not accept all of it as one value.
			var s Scanner
			for _, pad := range []string{" ", "                "} {
				in := append(bytes.Clone(b), pad...)
				end, err := s.Value(in, 0)
				if err == nil && SkipSpace(in, end) == len(in) {
					t.Fatalf("scanner accepted invalid JSON %q", b)
				}
			}
			return
		}
		var s Scanner
		// One space after the value, and sixteen: strings near the buffer's end take the
		// general path, the others the short-string fast path.
		for _, pad := range []string{" ", "                "} {
			in := append(bytes.Clone(b), pad...)
			end, err := s.Value(in, 0)
			if err != nil || SkipSpace(in, end) != len(in) {
				t.Fatalf("scanner rejected valid JSON %q: end %d err %v", b, end, err)
			}
		}
	})
}

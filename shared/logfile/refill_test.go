package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
)

// goodRecord is a console sign-in as CloudTrail writes it (the AWS documentation's example
// user "anaya", from the panther-analysis test logs in testdata/corpus).
const goodRecord = `{"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MFAIdentifier":"arn:aws:iam::111122223333:u2f/user/anaya/default-AAAAAAAABBBBBBBBCCCCCCCCDD","MFAUsed":"Yes","MobileVersion":"No"},"awsRegion":"us-east-1","eventID":"fed06f42-cb12-4764-8c69-121063dc79b9","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventTime":"2022-11-10T16:24:34Z","eventType":"AwsConsoleSignIn","eventVersion":"1.05","recipientAccountId":"111122223333","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"sourceIPAddress":"192.0.2.0","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36","userIdentity":{"accountId":"111122223333","arn":"arn:aws:iam::111122223333:user/anaya","principalId":"AIDACKCEVSQ6C2EXAMPLE","type":"IAMUser","userName":"anaya"}}`

// outcome is everything a read of one file says: its records, the indexes of the malformed
// ones, and the error that ended it (empty: io.EOF).
type outcome struct {
	recs      []string
	malformed []int
	refused   []string // RecordError.Record of the malformed ones
	records   int
	err       string
}

func (o outcome) String() string {
	return fmt.Sprintf("%d records %q, malformed %v (records %q), Records() %d, error %q", len(o.recs), o.recs, o.malformed, o.refused, o.records, o.err)
}

func (o outcome) equal(p outcome) bool {
	return strings.Join(o.recs, "\x00") == strings.Join(p.recs, "\x00") && len(o.recs) == len(p.recs) &&
		equalInts(o.malformed, p.malformed) && strings.Join(o.refused, "\x00") == strings.Join(p.refused, "\x00") &&
		o.records == p.records && o.err == p.err
}

// refusing is a ParseFunc as a consumer with field rules writes one: any JSON object, but one
// holding "refuse" is refused on its fields, whole (its end returned with the error).
func refusing() ParseFunc {
	var sc Scanner
	return func(b []byte, i int) (int, error) {
		if i = SkipSpace(b, i); i < len(b) && b[i] != '{' {
			return 0, Syntax(i, "not an object")
		}
		end, err := sc.Value(b, i)
		if err == nil && bytes.Contains(b[i:end], []byte("refuse")) {
			return end, errors.New("refused on a field")
		}
		return end, err
	}
}

// read reads in to its end with fills of size bytes, the source handing out at most chunk bytes
// per Read (0: all it has), records parsed by refusing.
func read(in []byte, size, chunk int) outcome {
	var src io.Reader = bytes.NewReader(in)
	if chunk > 0 {
		src = &chunkReader{r: src, n: chunk}
	}
	var o outcome
	lr, err := newReaderSize(src, size)
	if err != nil {
		o.err = err.Error()
		return o
	}
	parse := refusing()
	for {
		rec, err := lr.NextFunc(parse)
		var re *RecordError
		switch {
		case err == nil:
			o.recs = append(o.recs, string(rec))
			continue
		case errors.As(err, &re):
			o.malformed = append(o.malformed, re.Index)
			o.refused = append(o.refused, string(re.Record))
			continue
		case err != io.EOF:
			o.err = err.Error()
		}
		o.records = lr.Records()
		return o
	}
}

// chunkReader hands out at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// TestReaderBrokenElementAcrossRefill is issue 11's reproduction: a broken element (invalid
// literal, then a 300,000-byte string) between two good records, gzipped. Skipping it needs
// refills of the read buffer; the reader used to index before the buffer's start there and
// panic, which under Lambda failed the whole SQS batch.
func TestReaderBrokenElementAcrossRefill(t *testing.T) {
	in, err := os.ReadFile("testdata/broken-element-refill.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []struct {
		name string
		r    io.Reader
	}{
		{"whole", bytes.NewReader(in)},
		{"one byte per read", iotest.OneByteReader(bytes.NewReader(in))},
	} {
		t.Run(src.name, func(t *testing.T) {
			recs, malformed, err := readAll(t, src.r)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 || recs[0] != goodRecord || recs[1] != goodRecord || !equalInts(malformed, []int{1}) {
				t.Errorf("read %d records, malformed %v; want the 2 good records and malformed [1]", len(recs), malformed)
			}
		})
	}
}

// brokenElements are malformed elements of many kinds; each is padded to a given size.
var brokenElements = []struct {
	name string
	make func(pad string) string
}{
	{"bad literal then long string", func(pad string) string { return `{"x":tru,"pad":"` + pad + `"}` }},
	{"bad escape in long string", func(pad string) string { return `{"x":"\q` + pad + `"}` }},
	{"control byte late", func(pad string) string { return `{"x":"` + pad + "\x01" + `"}` }},
	{"missing colon, nested", func(pad string) string { return `{"x" {"y":["` + pad + `",{"z":1}]}}` }},
	{"bare word", func(pad string) string { return `garbage` + pad }},
	{"escaped quotes", func(pad string) string { return `{"x":tru,"p":"\"` + pad + `\\"}` }},
	{"string not an object", func(pad string) string { return `"` + pad + `"` }},
	{"array not an object", func(pad string) string { return `["` + pad + `",{"a":[1,2]}]` }},
}

// TestReaderBrokenElementEverySize: a broken element of every size around the read size,
// between two good records, skipped as one malformed record however the buffer refills fall.
func TestReaderBrokenElementEverySize(t *testing.T) {
	small := `{"eventName":"A","eventTime":"2026-11-20T07:58:43Z"}`
	for _, size := range []int{2, 16, 64} {
		for _, be := range brokenElements {
			for n := 0; n <= 3*size+8; n++ {
				el := be.make(strings.Repeat("A", n))
				in := `{"Records":[` + small + `, ` + el + ` ,` + goodRecord + `]}`
				for _, chunk := range []int{0, 1, 7} {
					o := read([]byte(in), size, chunk)
					want := outcome{recs: []string{small, goodRecord}, malformed: []int{1}, refused: []string{""}, records: 3}
					if !o.equal(want) {
						t.Fatalf("%s, pad %d, read size %d, chunk %d:\n got %v\nwant %v", be.name, n, size, chunk, o, want)
					}
				}
			}
		}
	}
}

var fuzzGzip = gzip.NewWriter(nil)

// FuzzReaderRefills: however the input is cut into reads and whatever the read size, the reader
// does not panic and says exactly what it says with the whole input in one buffer: the same
// records, the same malformed ones (and the same records refused on their fields), the same
// error. mode 0 reads data as a whole file; mode 1
// puts it as an element between two good records of a Records envelope; mode 2 is mode 1
// gzipped, mode 3 data gzipped.
func FuzzReaderRefills(f *testing.F) {
	for _, s := range []struct {
		data        string
		mode        byte
		size, chunk uint8
	}{
		{`{"x":tru,"pad":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, 1, 16, 0},
		{`{"x":tru,"pad":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, 2, 8, 3},
		{`{"x":"\qAAAAAAAAAAAAAAAAAAAAAAA\"AAAAAAAAAAAAAAAAA"}`, 1, 4, 1},
		{`["AAAAAAAAAAAAAAAAAAAAAAAA",{"a":[1,2,{"b":"]}"}]}]`, 1, 5, 2},
		{`garbageAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 1, 9, 0},
		{`{"Records":[{"eventName":"A"},{"eventName": tru},{"eventName":"B"}]}`, 0, 3, 1},
		{`{"Records":[{"eventName":"A"},{"eventName": tru},{"eventName":"B"}]}`, 3, 6, 0},
		{"{\"eventName\":\"A\"}\n{\"eventName\":\"C\"\n{\"eventName\":\"B\"}\n", 0, 4, 2},
		{`[{"x":"\q"},{"a":1},null,"x",42]`, 0, 2, 1},
		{` {"Records" : [ ] } `, 0, 2, 1},
		{`{"Records":[{"a":1}`, 0, 5, 0},
		{`{"Records":[{"x":tru,"p":"AAAAAAAAAAAAAAAAAAAAAAA`, 0, 4, 3},
		{"", 0, 2, 0},
		{"", 3, 2, 0},
		{`{"refuse":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, 1, 7, 2},
		{"{\"eventName\":\"A\"}\n {\"refuse\":1} \n{\"refuse\":2} x\n{\"eventName\":\"B\"}", 0, 3, 1},
	} {
		f.Add([]byte(s.data), s.mode, s.size, s.chunk)
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte, size, chunk uint8) {
		in := data
		if mode%4 == 1 || mode%4 == 2 {
			in = []byte(`{"Records":[{"eventName":"A"},` + string(data) + `,` + goodRecord + `]}`)
		}
		whole := 2*len(in) + 64 // one fill reads all of it (fill reads until half its size)
		if mode%4 >= 2 {
			var b bytes.Buffer
			fuzzGzip.Reset(&b) // one writer for every input: a new one per input costs more than the reads
			fuzzGzip.Write(in)
			fuzzGzip.Close()
			in = b.Bytes()
		}
		want := read(in, whole, 0)
		got := read(in, int(size%80), int(chunk%16))
		if !got.equal(want) {
			t.Fatalf("read size %d, chunk %d:\n got %v\nwant %v", size%80, chunk%16, got, want)
		}
	})
}

// TestReaderHandsOutRefusedRecords: a record its ParseFunc refuses on its fields is skipped
// exactly (no resynchronising) and handed out with the error; invalid JSON is not handed out.
func TestReaderHandsOutRefusedRecords(t *testing.T) {
	a, r := `{"eventName":"A"}`, `{"refuse":{"pad":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}`
	tests := []struct {
		name string
		in   string
		want outcome
	}{
		{"envelope", `{"Records":[` + a + `,` + r + `,` + a + `]}`, outcome{recs: []string{a, a}, malformed: []int{1}, refused: []string{r}, records: 3}},
		{"array, refused last", `[` + a + `, ` + r + ` ]`, outcome{recs: []string{a}, malformed: []int{1}, refused: []string{r}, records: 2}},
		{"JSON lines", a + "\n " + r + " \n" + a + "\n", outcome{recs: []string{a, a}, malformed: []int{1}, refused: []string{r}, records: 3}},
		{"JSON lines, data after the refused record", a + "\n" + r + " x\n" + a + "\n", outcome{recs: []string{a, a}, malformed: []int{1}, refused: []string{""}, records: 3}},
		{"invalid JSON", `[` + a + `,{"refuse":tru},` + a + `]`, outcome{recs: []string{a, a}, malformed: []int{1}, refused: []string{""}, records: 3}},
	}
	for _, tt := range tests {
		for _, size := range []int{2, 16, readSize} {
			if got := read([]byte(tt.in), size, 0); !got.equal(tt.want) {
				t.Errorf("%s, read size %d:\n got %v\nwant %v", tt.name, size, got, tt.want)
			}
		}
	}
}

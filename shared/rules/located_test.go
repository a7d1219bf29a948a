package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/trail"
)

// payloadSpans are rec's payloads in payloadNames' order.
func payloadSpans(rec *trail.Record) [numPayloads][]byte {
	var out [numPayloads][]byte
	for i := range numPayloads {
		out[i] = (&eventValue{rec: rec}).raw(i)
	}
	return out
}

// checkLocated fails when counters.Parser, parsing b from its start as the log reader does,
// says it located the payloads of a record otherwise than locatePayloads does on the record it
// hands out (b[i:end], i its first non-space byte): PayloadsLocated is locatePayloads' answer,
// and when that is true the parser's payloads (nil or not, and their bytes) and EventID are
// locatePayloads'. When it is false they are unset. It returns whether Parse took the whole
// record (it may refuse it on its fields: the record is valid JSON all the same) and what
// PayloadsLocated said.
func checkLocated(t *testing.T, p *counters.Parser, b []byte) (parsed, located bool) {
	t.Helper()
	i := logfile.SkipSpace(b, 0)
	end, err := p.Parse(b, i)
	if err != nil && (end <= i || end > len(b)) { // invalid JSON (or cut short): nothing located
		if p.PayloadsLocated() {
			t.Fatalf("%q: Parse failed (%v), PayloadsLocated true", b, err)
		}
		return false, false
	}
	raw := b[i:end]
	var want trail.Record
	wantOK := locatePayloads(raw, &want)
	got := p.Fields()
	located = p.PayloadsLocated()
	if located != wantOK {
		t.Fatalf("%q: PayloadsLocated %t, locatePayloads %t", raw, located, wantOK)
	}
	gotSpans := payloadSpans(got)
	if !located {
		for n, s := range gotSpans {
			if s != nil {
				t.Fatalf("%q: not located, but %s is set to %q", raw, payloadNames[n], s)
			}
		}
		if got.EventID != "" {
			t.Fatalf("%q: not located, but EventID is set to %q", raw, got.EventID)
		}
		return true, false
	}
	for n, w := range payloadSpans(&want) {
		if g := gotSpans[n]; !bytes.Equal(g, w) || (g == nil) != (w == nil) {
			t.Fatalf("%q: %s %q (nil %t), locatePayloads %q (nil %t)", raw, payloadNames[n], g, g == nil, w, w == nil)
		}
		if g := gotSpans[n]; len(g) != cap(g) {
			t.Fatalf("%q: %s has room past its value (cap %d, len %d): an append would write into the record", raw, payloadNames[n], cap(g), len(g))
		}
	}
	if got.EventID != want.EventID {
		t.Fatalf("%q: EventID %q, locatePayloads %q", raw, got.EventID, want.EventID)
	}
	return true, true
}

// locatedBase is the rest of a countable record, so that Parse accepts the cases below whole.
const locatedBase = `"eventTime":"2026-11-20T07:58:43Z","eventName":"RunInstances","eventSource":"ec2.amazonaws.com",` +
	`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"recipientAccountId":"111122223333"`

// locatedCases are hand-written records: the payloads and eventID as CloudTrail writes them,
// and each way a decoder could read them otherwise.
var locatedCases = []struct {
	name, rec string
	located   bool
	eventID   string // when located
}{
	{"all seven and eventID", `{` + locatedBase + `,"eventVersion":"1.09","requestParameters":{"instanceType":"t3.micro"},"responseElements":{"a":[1,2]},` +
		`"additionalEventData":{"x":"y"},"serviceEventDetails":{"s":1},"addendum":{"reason":"r"},"edgeDeviceDetails":{"e":true},` +
		`"insightDetails":{"state":"Start"},"eventID":"3f7c9a2e-1b4d-4e8f-9a6b-2c5d7e8f9a0b","readOnly":false}`, true, "3f7c9a2e-1b4d-4e8f-9a6b-2c5d7e8f9a0b"},
	{"no payloads, no eventID", `{` + locatedBase + `}`, true, ""},
	{"empty object", `{}`, true, ""},
	{"null payloads", `{` + locatedBase + `,"requestParameters":null,"responseElements":null,"eventID":"e-1"}`, true, "e-1"},
	{"payloads of every type", `{` + locatedBase + `,"requestParameters":"s","responseElements":[1,{"b":"}"}],"additionalEventData":-2.5e3,"addendum":true}`, true, ""},
	{"whitespace around values", " {\n " + locatedBase + " , \"requestParameters\" :\t{ \"a\" : 1 } ,\n\"eventID\" : \"e-2\" , \"addendum\" : null\n} ", true, "e-2"},
	{"payload last, before the end", `{` + locatedBase + `,"responseElements":{"x":"` + strings.Repeat("y", 40) + `"}}`, true, ""},
	{"duplicate payload", `{` + locatedBase + `,"requestParameters":{"a":1},"requestParameters":{"a":2}}`, false, ""},
	{"duplicate null payload", `{` + locatedBase + `,"addendum":null,"addendum":null}`, false, ""},
	{"case-variant payload key", `{` + locatedBase + `,"RequestParameters":{"a":1}}`, false, ""},
	{"case-variant payload key beside the real one", `{` + locatedBase + `,"requestParameters":{"a":1},"requestparameters":{"a":2}}`, false, ""},
	{"case-variant short payload key", `{` + locatedBase + `,"addenduM":{}}`, false, ""},
	{"escaped payload key", `{` + locatedBase + `,"request\u0050arameters":{"a":1}}`, false, ""},
	{"escaped other key", `{` + locatedBase + `,"user\u0041gent":"x","requestParameters":{}}`, false, ""},
	{"non-ASCII key", `{` + locatedBase + `,"évent":"x","requestParameters":{}}`, false, ""},
	{"Kelvin sign key", `{` + locatedBase + `,"edgeDeviceDetails":{},"user` + "\u212a" + `ey":1}`, false, ""},
	{"DEL in a top-level key", `{` + locatedBase + `,"x` + "\x7f" + `":1,"requestParameters":{}}`, false, ""},
	{"DEL in a long top-level key", `{` + locatedBase + `,"sessionCredentialFromConsole` + "\x7f" + `":1}`, false, ""},
	{"DEL in a nested key", `{` + locatedBase + `,"requestParameters":{"x` + "\x7f" + `":1},"eventID":"e-3"}`, true, "e-3"},
	{"DEL in a value", `{` + locatedBase + `,"userAgent":"a` + "\x7f" + `b","eventID":"e-4"}`, true, "e-4"},
	{"nested look-alike", `{` + locatedBase + `,"requestParameters":{"RequestParameters":1,"eventID":"no"},"eventID":"e-5"}`, true, "e-5"},
	{"non-ASCII nested key", `{` + locatedBase + `,"requestParameters":{"é":1}}`, true, ""},
	{"eventID twice", `{` + locatedBase + `,"eventID":"e-6","eventID":"e-7"}`, true, ""},
	{"eventID case variant", `{` + locatedBase + `,"EventID":"e-8"}`, true, ""},
	{"eventID and a case variant", `{` + locatedBase + `,"eventID":"e-9","eventId":"e-10"}`, true, ""},
	{"eventID escaped", `{` + locatedBase + `,"eventID":"e-\u0031"}`, true, ""},
	{"eventID escaped in its tail", `{` + locatedBase + `,"eventID":"abcdefgh\n"}`, true, ""},
	{"eventID escaped past eight bytes", `{` + locatedBase + `,"eventID":"3f7c9a2e-1b4d-4e8f-9a6b-2c5d7e8\/9a0b"}`, true, ""},
	{"eventID non-ASCII in its tail", `{` + locatedBase + `,"eventID":"abcdefghé"}`, true, "abcdefghé"},
	{"eventID U+FFFD past eight bytes", `{` + locatedBase + `,"eventID":"abcdefgh` + "\uFFFD" + `ijklmnop"}`, true, ""},
	{"eventID invalid UTF-8 past eight bytes", `{` + locatedBase + `,"eventID":"abcdefgh` + "\xc3(" + `ijklmnop"}`, true, ""},
	{"eventID escaped key", `{` + locatedBase + `,"event\u0049D":"e-11"}`, false, ""},
	{"eventID a number", `{` + locatedBase + `,"eventID":12}`, true, ""},
	{"eventID null", `{` + locatedBase + `,"eventID":null}`, true, ""},
	{"eventID an object", `{` + locatedBase + `,"eventID":{"a":"b"}}`, true, ""},
	{"eventID empty", `{` + locatedBase + `,"eventID":""}`, true, ""},
	{"eventID non-ASCII", `{` + locatedBase + `,"eventID":"é-1"}`, true, "é-1"},
	{"eventID U+FFFD", `{` + locatedBase + `,"eventID":"` + "\uFFFD" + `"}`, true, ""},
	{"eventID invalid UTF-8", `{` + locatedBase + `,"eventID":"` + "a\xffb" + `"}`, true, ""},
	{"readOnly, a payload's length", `{` + locatedBase + `,"readOnly":true,"addendum":{"a":1}}`, true, ""},
	{"refused on its fields", `{"eventTime":7,"eventName":"X","requestParameters":{"a":1},"eventID":"e-12"}`, true, "e-12"},
	{"invalid JSON", `{` + locatedBase + `,"requestParameters":{"a":tru}}`, false, ""},
	{"cut short", `{` + locatedBase + `,"requestParameters":{"a":1}`, false, ""},
}

// TestParserLocatesPayloadsAsLocatePayloads: the parser's payloads and eventID, noted in the
// pass that validates a record (counters.Parser.PayloadsLocated), are locatePayloads', on the
// hand-written cases, every pack test event and corpus record (each alone, at the end of its
// buffer, and followed by more input, as the log reader's buffer holds it), and all of them
// read in one log file with one Parser, so nothing of a record outlives it.
func TestParserLocatesPayloadsAsLocatePayloads(t *testing.T) {
	var p counters.Parser // one for all: a record's payloads must not reach the next
	for _, tc := range locatedCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range [][]byte{[]byte(tc.rec), []byte(tc.rec + strings.Repeat(" ", 20) + `,{"eventVersion":"1.09"}`)} {
				_, located := checkLocated(t, &p, b)
				if located != tc.located {
					t.Fatalf("%q: PayloadsLocated %t, want %t", b, located, tc.located)
				}
				if located && p.Fields().EventID != tc.eventID {
					t.Fatalf("%q: EventID %q, want %q", b, p.Fields().EventID, tc.eventID)
				}
			}
		})
	}

	_, raws := pathRecords(t)
	var located int
	for _, raw := range raws {
		for _, b := range [][]byte{raw, append(bytes.Clone(raw), ` ,{"requestParameters":{"a":1},"eventID":"next"}`...)} {
			if _, ok := checkLocated(t, &p, b); ok {
				located++
			}
		}
	}
	if located < 2*450 {
		t.Errorf("only %d of %d records located", located/2, len(raws))
	}

	// One log file of every record, read by the log reader: the file is larger than one read,
	// so a record straddles two and Parse meets it cut short, then again whole.
	var file bytes.Buffer
	file.WriteString(`{"Records":[`)
	for n, raw := range raws {
		if n > 0 {
			file.WriteString(",\n")
		}
		file.Write(raw)
	}
	file.WriteString("]}")
	lr, err := logfile.NewReader(&file)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; ; n++ {
		rec, err := lr.NextFunc(p.Parse)
		if err == io.EOF {
			if n != len(raws) {
				t.Fatalf("read %d records, want %d", n, len(raws))
			}
			break
		}
		if err != nil {
			var re *logfile.RecordError
			if !errors.As(err, &re) {
				t.Fatal(err)
			}
			rec = re.Record // refused on its fields (or invalid: nil)
		}
		var want trail.Record
		wantOK := rec != nil && locatePayloads(rec, &want)
		if got := p.PayloadsLocated(); got != wantOK {
			t.Fatalf("record %d: PayloadsLocated %t, locatePayloads %t", n, got, wantOK)
		}
		if wantOK && (payloadSpansString(p.Fields()) != payloadSpansString(&want) || p.Fields().EventID != want.EventID) {
			t.Fatalf("record %d: parser %s %q, locatePayloads %s %q", n, payloadSpansString(p.Fields()), p.Fields().EventID,
				payloadSpansString(&want), want.EventID)
		}
	}
}

func payloadSpansString(rec *trail.Record) string {
	var sb strings.Builder
	for n, s := range payloadSpans(rec) {
		fmt.Fprintf(&sb, "%s=%q(nil %t) ", payloadNames[n], s, s == nil)
	}
	return sb.String()
}

// FuzzParserLocatesPayloads: on any input, what counters.Parser locates is what
// locatePayloads finds (checkLocated), the record alone in its buffer and followed by more.
// Seeds: the hand-written cases and corpus records (testdata/fuzz/FuzzParserLocatesPayloads).
func FuzzParserLocatesPayloads(f *testing.F) {
	for _, tc := range locatedCases {
		f.Add([]byte(tc.rec))
	}
	var p counters.Parser
	f.Fuzz(func(t *testing.T, b []byte) {
		checkLocated(t, &p, b)
		checkLocated(t, &p, append(bytes.Clone(b), `                 ,{"eventID":"x"}`...))
	})
}

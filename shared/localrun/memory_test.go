package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// signInLine is one EventBridge sign-in event as a JSON line, the shape of
// events/logincheck/untrusted-ipv4.json, with %06d for a distinct id per line.
const signInLine = `{"version":"0","id":"6f3b2a1c-%06d","detail-type":"AWS Console Sign In via CloudTrail",` +
	`"source":"aws.signin","account":"111122223333","time":"2026-11-20T12:30:00Z","region":"us-east-1","resources":[],` +
	`"detail":{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE",` +
	`"arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},` +
	`"eventTime":"2026-11-20T12:30:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",` +
	`"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.66","userAgent":"Mozilla/5.0 (X11; Linux x86_64)",` +
	`"requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":` +
	`{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"Yes"},` +
	`"eventID":"d0e8f2a4-%06d","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,` +
	`"recipientAccountId":"111122223333","eventCategory":"Management"}}` + "\r\n"

// linesReader makes a JSON-lines input of n sign-in events on the fly, so a test can replay
// a large input without holding it (or a file of it) anywhere.
type linesReader struct {
	n, i int
	cur  []byte
}

func (r *linesReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 {
		if r.i == r.n {
			return 0, io.EOF
		}
		r.cur = fmt.Appendf(r.cur[:0], signInLine, r.i, r.i)
		r.i++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// TestReplayMemoryBounded replays 80 MB of JSON lines (8 MB with -short) made on the fly and
// checks that the heap never holds more than a few megabytes while it does: the input is
// read as a stream, one event at a time. Reading it whole took twice its size.
func TestReplayMemoryBounded(t *testing.T) {
	lines := 80_000
	if testing.Short() {
		lines = 8_000
	}
	size := lines * (len(signInLine) - 4 + 2*6 - 2) // the %06d verbs become 6 digits each
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	n := 0
	handle := func(_ context.Context, raw json.RawMessage) error {
		if n++; n%500 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		if !bytes.HasSuffix(raw, []byte(`"Management"}}`)) {
			return fmt.Errorf("event %d framed wrong: ends %q", n, raw[max(0, len(raw)-20):])
		}
		return nil
	}
	var stderr bytes.Buffer
	if status := (Options{}).Replay(context.Background(), nil, &linesReader{n: lines}, &stderr, handle); status != ExitOK || n != lines {
		t.Fatalf("status %d after %d of %d events; stderr %q", status, n, lines, stderr.String())
	}
	const bound = 16 << 20
	t.Logf("replayed %d events, %d bytes: heap peak %d bytes above its start", n, size, peak-base)
	if peak-base > bound {
		t.Errorf("heap grew by %d bytes replaying %d bytes of JSON lines, want at most %d", peak-base, size, bound)
	}
}

// BenchmarkReplayJSONLines replays 10,000 sign-in events (11 MB) of JSON lines per
// operation: B/op and allocs/op divided by 10,000 are the cost of one line.
func BenchmarkReplayJSONLines(b *testing.B) {
	const lines = 10_000
	var in bytes.Buffer
	io.Copy(&in, &linesReader{n: lines})
	data := in.Bytes()
	handle := func(context.Context, json.RawMessage) error { return nil }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if status := (Options{}).Replay(context.Background(), nil, bytes.NewReader(data), io.Discard, handle); status != ExitOK {
			b.Fatalf("status %d", status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
}

// BenchmarkReplayLongLine replays one 5 MB line: the framing of a large event.
func BenchmarkReplayLongLine(b *testing.B) {
	data := []byte(longLine + "\n")
	handle := func(context.Context, json.RawMessage) error { return nil }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if status := (Options{}).Replay(context.Background(), nil, bytes.NewReader(data), io.Discard, handle); status != ExitOK {
			b.Fatalf("status %d", status)
		}
	}
}

// BenchmarkReplayPretty replays a pretty-printed event, the form of the samples in events/.
func BenchmarkReplayPretty(b *testing.B) {
	var in bytes.Buffer
	var v any
	if err := json.Unmarshal(fmt.Appendf(nil, strings.TrimSpace(signInLine), 1, 1), &v); err != nil {
		b.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	in.Write(pretty)
	data := in.Bytes()
	handle := func(context.Context, json.RawMessage) error { return nil }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if status := (Options{}).Replay(context.Background(), nil, bytes.NewReader(data), io.Discard, handle); status != ExitOK {
			b.Fatalf("status %d", status)
		}
	}
}

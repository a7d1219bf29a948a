package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// replayed is what one replay did: the events handed over, what it said, its status.
type replayed struct {
	events []string
	stderr string
	status int
}

func replayAll(t *testing.T, r io.Reader, max int) replayed {
	var out replayed
	var stderr bytes.Buffer
	out.status = Options{MaxEventBytes: max}.Replay(context.Background(), nil, r, &stderr, func(_ context.Context, raw json.RawMessage) error {
		if !json.Valid(raw) {
			t.Errorf("handed an event that is not JSON: %q", raw)
		}
		if len(raw) > max {
			t.Errorf("handed an event of %d bytes, bound %d", len(raw), max)
		}
		out.events = append(out.events, string(raw))
		return nil
	})
	out.stderr = stderr.String()
	return out
}

// FuzzReplay frames any input without panicking, hands over only JSON, says something exactly
// when the status is not ExitOK, and frames the same however the input arrives: whole, or a
// byte per read (the framer's buffer boundaries fall everywhere).
func FuzzReplay(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 1 << 20
		whole := replayAll(t, bytes.NewReader(data), max)
		if (whole.status == ExitOK) != (whole.stderr == "") {
			t.Errorf("status %d with stderr %q", whole.status, whole.stderr)
		}
		bytewise := replayAll(t, iotest.OneByteReader(bytes.NewReader(data)), max)
		if strings.Join(whole.events, "\x00") != strings.Join(bytewise.events, "\x00") || whole.stderr != bytewise.stderr || whole.status != bytewise.status {
			t.Errorf("read whole: %+v\nread a byte at a time: %+v", whole, bytewise)
		}
		small := replayAll(t, bytes.NewReader(data), 16) // events over 16 bytes skipped, never kept
		if len(small.events) > len(whole.events) {
			t.Errorf("%d events under a 16-byte bound, %d without", len(small.events), len(whole.events))
		}
	})
}

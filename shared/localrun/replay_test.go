package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// longLine is a JSON-lines event of several megabytes, as a CloudTrail record with a large
// policy document can be.
var longLine = `{"id":"long","pad":"` + strings.Repeat("x", 5<<20) + `"}`

func TestReplay(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		maxBytes   int
		wantEvents []string
		wantStatus int
		wantStderr []string // each must appear
		wantLines  []int    // announced lines, when checked
	}{
		{name: "one pretty event", input: "{\n  \"id\": \"a\",\n  \"n\": [1, {\"x\": \"}\"}]\n}\n",
			wantEvents: []string{"a"}, wantLines: []int{1}},
		{name: "pretty event, first key on the first line", input: "{ \"id\": \"a\",\n  \"n\": 1\n}\n",
			wantEvents: []string{"a"}},
		{name: "pretty events one after another", input: "\n{\n  \"id\": \"a\"\n}\n{\n  \"id\": \"b\"\n}",
			wantEvents: []string{"a", "b"}, wantLines: []int{2, 5}},
		{name: "pretty event, no line break at the end", input: "{\n\"id\":\"a\"}", wantEvents: []string{"a"}},
		{name: "compact single event", input: `{"id":"a"}`, wantEvents: []string{"a"}},
		{name: "json lines", input: "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n",
			wantEvents: []string{"a", "b", "c"}, wantLines: []int{1, 2, 3}},
		{name: "blank lines ignored", input: "\n{\"id\":\"a\"}\n\n   \n\t\n{\"id\":\"b\"}\n\n",
			wantEvents: []string{"a", "b"}, wantLines: []int{2, 6}},
		{name: "CRLF line endings", input: "{\"id\":\"a\"}\r\n\r\n{\"id\":\"b\"}\r\n",
			wantEvents: []string{"a", "b"}, wantLines: []int{1, 3}},
		{name: "CRLF with a bad line", input: "{\"id\":\"a\"}\r\n{\"id\": oops}\r\n{\"id\":\"c\"}\r\n",
			wantEvents: []string{"a", "c"}, wantStatus: ExitMalformed, wantStderr: []string{"in.json:2: not JSON"}, wantLines: []int{1, 3}},
		{name: "two events on one line", input: "{\"id\":\"a\"}{\"id\":\"b\"}\n{\"id\":\"c\"}",
			wantEvents: []string{"a", "b", "c"}, wantLines: []int{1, 1, 2}},
		{name: "braces and quotes inside strings", input: `{"id":"a","s":"}\"{[","t":"\\"}` + "\n" + `{"id":"b"}`,
			wantEvents: []string{"a", "b"}},
		{name: "handler error names the line", input: "{\"id\":\"a\"}\n{\"id\":\"bad\"}\n{\"id\":\"c\"}\n",
			wantEvents: []string{"a", "bad", "c"}, wantStatus: ExitMalformed,
			wantStderr: []string{"in.json:2: bad event", "in.json: 1 of 3 events not handled"}},
		{name: "bad line in the middle, later lines replayed", input: "{\"id\":\"a\"}\n{\"id\": oops}\n{\"id\":\"c\"}\n{\"id\":\"d\"}\n",
			wantEvents: []string{"a", "c", "d"}, wantStatus: ExitMalformed,
			wantStderr: []string{"in.json:2: not JSON: invalid character 'o'"}, wantLines: []int{1, 3, 4}},
		{name: "cut line in the middle", input: "{\"id\":\"a\"}\n{\"id\":\"b\",\"x\":{\n{\"id\":\"c\"}\n",
			wantEvents: []string{"a", "c"}, wantStatus: ExitMalformed, wantStderr: []string{"in.json:2: not JSON: value not closed"}},
		{name: "cut first line", input: "{\"id\":\"a\",\"x\":[1,\n{\"id\":\"b\"}\n[{\"id\":\"c\"}]\n",
			wantEvents: []string{"b", "<array>"}, wantStatus: ExitMalformed, wantStderr: []string{"in.json:1: not JSON: value not closed"}},
		{name: "line cut inside a string", input: "{\"id\":\"a\"}\n{\"id\":\"b\n{\"id\":\"c\"}\n",
			wantEvents: []string{"a", "c"}, wantStatus: ExitMalformed, wantStderr: []string{"in.json:2: not JSON"}},
		{name: "junk after an event, junk line", input: "{\"id\":\"a\"} trailing words\nhello world\n}\n{\"id\":\"b\"}\n",
			wantEvents: []string{"a", "b"}, wantStatus: ExitMalformed,
			wantStderr: []string{"in.json:1: not JSON", "in.json:2: not JSON", "in.json:3: not JSON", "in.json: 3 of 5 events not handled"}},
		{name: "last line cut at the end of the input", input: "{\"id\":\"a\"}\n{\"id\":\"b\"",
			wantEvents: []string{"a"}, wantStatus: ExitMalformed, wantStderr: []string{"in.json:2: not JSON: unexpected EOF"}},
		{name: "bad pretty event names the faulty line, the next is replayed", input: "{\n  \"id\": \"a\",\n  \"x\": tru\n}\n{\n  \"id\": \"b\"\n}\n",
			wantEvents: []string{"b"}, wantStatus: ExitMalformed, wantStderr: []string{"in.json:3: not JSON: invalid character"}, wantLines: []int{5}},
		{name: "pretty event cut short", input: "{\n  \"id\": \"a\",\n  \"x\": {\n",
			wantStatus: ExitMalformed, wantStderr: []string{"in.json:1: not JSON: unexpected EOF: the input ends inside a value"}},
		{name: "pretty array", input: "[\n  {\"id\": \"a\"}\n]\n", wantEvents: []string{"<array>"}},
		{name: "very long line", input: "{\"id\":\"a\"}\n" + longLine + "\n{\"id\":\"c\"}\n",
			wantEvents: []string{"a", "long", "c"}, wantLines: []int{1, 2, 3}},
		{name: "line longer than the bound skipped", input: "{\"id\":\"a\"}\n" + longLine + "\n{\"id\":\"c\"}\n", maxBytes: 1 << 20,
			wantEvents: []string{"a", "c"}, wantStatus: ExitMalformed, wantStderr: []string{"in.json:2: event longer than 1048576 bytes: skipped"}},
		{name: "byte order mark", input: "\xEF\xBB\xBF{\n  \"id\": \"a\"\n}\n", wantEvents: []string{"a"}, wantLines: []int{1}},
		{name: "byte order mark only", input: "\xEF\xBB\xBF"},
		{name: "empty file", input: ""},
		{name: "spacing only", input: " \r\n\n\t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(path, []byte(tt.input), 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr, announce bytes.Buffer
			handle, got := recorder()
			status := Options{Announce: &announce, MaxEventBytes: tt.maxBytes}.Replay(context.Background(), []string{path}, nil, &stderr, handle)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (stderr %q)", status, tt.wantStatus, stderr.String())
			}
			if strings.Join(*got, ",") != strings.Join(tt.wantEvents, ",") {
				t.Errorf("events %v, want %v", *got, tt.wantEvents)
			}
			msgs := strings.ReplaceAll(stderr.String(), filepath.Dir(path)+"/", "")
			for _, want := range tt.wantStderr {
				if !strings.Contains(msgs, want) {
					t.Errorf("stderr %q lacks %q", msgs, want)
				}
			}
			if tt.wantStatus == ExitOK && stderr.Len() > 0 {
				t.Errorf("stderr %q, want nothing", msgs)
			}
			var lines []int
			for _, l := range strings.Split(strings.TrimSpace(announce.String()), "\n") {
				if i := strings.LastIndexByte(l, ':'); i >= 0 {
					n, _ := strconv.Atoi(l[i+1:])
					lines = append(lines, n)
				}
			}
			if len(lines) != len(tt.wantEvents) {
				t.Errorf("announced %d events, want %d", len(lines), len(tt.wantEvents))
			}
			if tt.wantLines != nil && !slices.Equal(lines, tt.wantLines) {
				t.Errorf("announced lines %v, want %v", lines, tt.wantLines)
			}
		})
	}
}

// recorder is a handler that keeps the id of each event and fails the one named "bad".
func recorder() (HandleFunc, *[]string) {
	var got []string
	return func(_ context.Context, raw json.RawMessage) error {
		if bytes.HasPrefix(raw, []byte("[")) {
			got = append(got, "<array>")
			return nil
		}
		var ev struct{ ID string }
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		got = append(got, ev.ID)
		if ev.ID == "bad" {
			return errors.New("bad event")
		}
		return nil
	}, &got
}

func TestReplayStdin(t *testing.T) {
	tests := []struct {
		name       string
		files      []string
		stdin      string
		wantEvents []string
		wantStatus int
		wantStderr string
	}{
		{name: "no files", stdin: `{"id":"a"}{"id":"b"}`, wantEvents: []string{"a", "b"}},
		{name: "dash", files: []string{"-"}, stdin: "{\n  \"id\": \"a\"\n}\n", wantEvents: []string{"a"}},
		{name: "bad line named as stdin", stdin: "{\"id\":\"a\"}\nnope\n{\"id\":\"c\"}\n",
			wantEvents: []string{"a", "c"}, wantStatus: ExitMalformed, wantStderr: "stdin:2: not JSON"},
		{name: "no stdin at all", wantEvents: nil},
		{name: "missing file, the others still replayed", files: []string{"/no/such/file.json", "-"}, stdin: `{"id":"a"}`,
			wantEvents: []string{"a"}, wantStatus: ExitMalformed, wantStderr: "/no/such/file.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdin io.Reader
			if tt.stdin != "" {
				stdin = strings.NewReader(tt.stdin)
			}
			var stderr bytes.Buffer
			handle, got := recorder()
			status := Options{}.Replay(context.Background(), tt.files, stdin, &stderr, handle)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (stderr %q)", status, tt.wantStatus, stderr.String())
			}
			if strings.Join(*got, ",") != strings.Join(tt.wantEvents, ",") {
				t.Errorf("events %v, want %v", *got, tt.wantEvents)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// TestReplaySamples replays every sample event of the repository: each file is one
// pretty-printed event, framed whole, announced at its first line.
func TestReplaySamples(t *testing.T) {
	files, err := filepath.Glob("../../events/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var got []json.RawMessage
		var stderr, announce bytes.Buffer
		status := Options{Announce: &announce}.Replay(context.Background(), []string{f}, nil, &stderr, func(_ context.Context, raw json.RawMessage) error {
			got = append(got, raw)
			return nil
		})
		if status != ExitOK || len(got) != 1 || !bytes.Equal(got[0], bytes.TrimSpace(want)) || announce.String() != "▶ "+f+":1\n" {
			t.Errorf("%s: status %d, %d events, announced %q, stderr %q", f, status, len(got), announce.String(), stderr.String())
		}
	}
}

func TestReplayStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	handle := func(context.Context, json.RawMessage) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	}
	var stderr bytes.Buffer
	status := Options{}.Replay(ctx, nil, strings.NewReader("{}\n{}\n{}\n{}\n"), &stderr, handle)
	if status != ExitMalformed || n != 2 || !strings.Contains(stderr.String(), "stdin: stopped after 2 events: context canceled") {
		t.Errorf("status %d after %d events, stderr %q", status, n, stderr.String())
	}
}

func TestWithBatchFailures(t *testing.T) {
	tests := []struct {
		name    string
		resp    *events.SQSEventResponse
		err     error
		wantErr string
	}{
		{"all delivered", &events.SQSEventResponse{}, nil, ""},
		{"no batch", nil, nil, ""},
		{"handler error", nil, errors.New("boom"), "boom"},
		{"failed messages named", &events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "m-1"}, {ItemIdentifier: "m-7"}}}, nil, `batchItemFailures: ["m-1" "m-7"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := WithBatchFailures(func(context.Context, json.RawMessage) (*events.SQSEventResponse, error) { return tt.resp, tt.err })
			err := h(context.Background(), nil)
			if (err == nil) != (tt.wantErr == "") || err != nil && err.Error() != tt.wantErr {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestReplayHandlerPanicFailsOneEvent(t *testing.T) {
	var got []string
	handle := func(_ context.Context, raw json.RawMessage) error {
		if string(raw) == `{"id":"boom"}` {
			panic(errors.New("index out of range [7] with length 3"))
		}
		got = append(got, string(raw))
		return nil
	}
	var stderr bytes.Buffer
	status := Options{}.Replay(context.Background(), nil, strings.NewReader("{\"id\":\"a\"}\n{\"id\":\"boom\"}\n{\"id\":\"c\"}\n"), &stderr, handle)
	if status != ExitMalformed || len(got) != 2 || !strings.Contains(stderr.String(), "stdin:2: panic: index out of range [7] with length 3") {
		t.Errorf("status %d, events %q, stderr %q", status, got, stderr.String())
	}
}

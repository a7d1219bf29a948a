package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestReplay(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		wantEvents []string
		wantStatus int
		wantStderr string
	}{
		{"one pretty event", "{\n  \"id\": \"a\"\n}\n", []string{"a"}, ExitOK, ""},
		{"json lines", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n\n{\"id\":\"c\"}\n", []string{"a", "b", "c"}, ExitOK, ""},
		{"handler error names the line", "{\"id\":\"a\"}\n{\"id\":\"bad\"}\n{\"id\":\"c\"}\n", []string{"a", "bad", "c"}, ExitMalformed, "in.json:2: bad event"},
		{"not json stops the file", "{\"id\":\"a\"}\n{\"id\": oops}\n{\"id\":\"c\"}\n", []string{"a"}, ExitMalformed, "in.json:2: not JSON"},
		{"empty file", "", nil, ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(path, []byte(tt.input), 0o600); err != nil {
				t.Fatal(err)
			}
			var got []string
			handle := func(_ context.Context, raw json.RawMessage) error {
				var ev struct{ ID string }
				if err := json.Unmarshal(raw, &ev); err != nil {
					return err
				}
				got = append(got, ev.ID)
				if ev.ID == "bad" {
					return errors.New("bad event")
				}
				return nil
			}
			var stderr, announce bytes.Buffer
			status := Options{Announce: &announce}.Replay(context.Background(), []string{path}, nil, &stderr, handle)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (stderr %q)", status, tt.wantStatus, stderr.String())
			}
			if strings.Join(got, ",") != strings.Join(tt.wantEvents, ",") {
				t.Errorf("events %v, want %v", got, tt.wantEvents)
			}
			if tt.wantStderr != "" && !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
			if n := strings.Count(announce.String(), "▶ "); n != len(tt.wantEvents) {
				t.Errorf("announced %d events, want %d", n, len(tt.wantEvents))
			}
		})
	}
}

func TestReplayStdinAndMissingFile(t *testing.T) {
	var n int
	handle := func(context.Context, json.RawMessage) error { n++; return nil }
	var stderr bytes.Buffer
	if s := (Options{}).Replay(context.Background(), nil, strings.NewReader(`{"a":1}{"a":2}`), &stderr, handle); s != ExitOK || n != 2 {
		t.Errorf("stdin: status %d, %d events", s, n)
	}
	if s := (Options{}).Replay(context.Background(), []string{"/no/such/file.json"}, nil, &stderr, handle); s != ExitMalformed {
		t.Errorf("missing file: status %d, want %d", s, ExitMalformed)
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

// Package localrun replays events through a function's handler outside Lambda, the way Lambda
// would deliver them, so developers can try a function on sample events with no AWS account.
package localrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-lambda-go/events"

	"encoding/json"
)

// Exit statuses of a local run.
const (
	ExitOK        = 0 // every event handled
	ExitMalformed = 1 // some event was malformed or failed; the others were still handled
	ExitConfig    = 2 // invalid configuration: nothing ran
)

// HandleFunc is a function's handler, as given to lambda.Start.
type HandleFunc func(ctx context.Context, event json.RawMessage) error

// Options change how Replay reports.
type Options struct {
	// Announce, when set, gets a line "▶ FILE:LINE" before each event, so a reader of the
	// text output sees which event produced what (not used with -json output).
	Announce io.Writer
}

// Replay reads events from each file (stdin when files is empty) and hands each to handle.
// A file holds one event (pretty-printed or not) or many, one after another (JSON lines).
// It reports failures on stderr with file, line and error, and returns the exit status.
func (o Options) Replay(ctx context.Context, files []string, stdin io.Reader, stderr io.Writer, handle HandleFunc) int {
	status := ExitOK
	run := func(name string, r io.Reader) {
		if err := o.replayStream(ctx, name, r, stderr, handle); err != nil {
			status = ExitMalformed
		}
	}
	if len(files) == 0 {
		run("stdin", stdin)
		return status
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			status = ExitMalformed
			continue
		}
		run(name, f)
		f.Close()
	}
	return status
}

// errFailed marks a stream in which at least one event failed.
var errFailed = errors.New("some events failed")

func (o Options) replayStream(ctx context.Context, name string, r io.Reader, stderr io.Writer, handle HandleFunc) error {
	data, err := io.ReadAll(bufio.NewReader(r))
	if err != nil {
		fmt.Fprintf(stderr, "%s: read: %v\n", name, err)
		return err
	}
	var failed bool
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := skipSpace(data, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintf(stderr, "%s:%d: not JSON: %v\n", name, lineOf(data, start), err)
			return errFailed // the rest of the stream cannot be framed
		}
		if o.Announce != nil {
			fmt.Fprintf(o.Announce, "▶ %s:%d\n", name, lineOf(data, start))
		}
		if err := handle(ctx, raw); err != nil {
			fmt.Fprintf(stderr, "%s:%d: %v\n", name, lineOf(data, start), err)
			failed = true
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
		i++
	}
	return i
}

func lineOf(data []byte, offset int) int {
	return bytes.Count(data[:min(offset, len(data))], []byte("\n")) + 1
}

// WithBatchFailures adapts a handler that answers an SQS partial batch response to a local
// replay: messages reported as failed make the event fail, naming their IDs.
func WithBatchFailures(handle func(context.Context, json.RawMessage) (*events.SQSEventResponse, error)) HandleFunc {
	return func(ctx context.Context, raw json.RawMessage) error {
		resp, err := handle(ctx, raw)
		if err != nil || resp == nil || len(resp.BatchItemFailures) == 0 {
			return err
		}
		ids := make([]string, len(resp.BatchItemFailures))
		for i, f := range resp.BatchItemFailures {
			ids[i] = f.ItemIdentifier
		}
		return fmt.Errorf("batchItemFailures: %q", ids)
	}
}

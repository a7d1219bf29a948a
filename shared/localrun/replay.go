// Package localrun replays events through a function's handler outside Lambda, the way Lambda
// would deliver them, so developers can try a function on sample events with no AWS account.
package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/events"
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
	// MaxEventBytes bounds one event; a larger one is reported and skipped without being
	// held in memory. Zero means DefaultMaxEventBytes.
	MaxEventBytes int
	// Done, when set, is called after each event of the input, handled or not (an input
	// line that is not JSON never reaches the handler), with the event's error, before the
	// error is reported on stderr: how App prints one line per event.
	Done func(name string, line int, err error)
}

// Replay reads events from each file ("-" or no files at all: stdin) and hands each to
// handle, in order, as it reads them: an input of any size takes the memory of its largest
// event. A file holds one event, pretty-printed or not, or many: one or more per line (JSON
// lines), or pretty-printed one after another.
//
// Nothing bad stops a replay early but a file that cannot be read or framed: a line of JSON
// lines that is not JSON, or an event the handler fails, is reported on stderr as
// "FILE:LINE: problem" and the next one is read. The status is ExitMalformed when anything was
// reported, ExitOK otherwise.
func (o Options) Replay(ctx context.Context, files []string, stdin io.Reader, stderr io.Writer, handle HandleFunc) int {
	status := ExitOK
	in := newFramer(o.MaxEventBytes)
	run := func(name string, r io.Reader) {
		if r == nil {
			r = bytes.NewReader(nil)
		}
		in.reset(r)
		if !o.replayStream(ctx, name, in, stderr, handle) {
			status = ExitMalformed
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "%s: not replayed: %v\n", name, context.Cause(ctx))
			status = ExitMalformed
			continue
		}
		if name == "-" {
			run("stdin", stdin)
			continue
		}
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

// replayStream replays one input and tells whether every event in it was handled.
func (o Options) replayStream(ctx context.Context, name string, in *framer, stderr io.Writer, handle HandleFunc) bool {
	var events, failed int
	for {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(stderr, "%s: stopped after %d events: %v\n", name, events, context.Cause(ctx))
			return false
		}
		ev, err := in.next()
		if err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintf(stderr, "%s:%d: read: %v\n", name, in.line, err)
			return false
		}
		events++
		if ev.err != nil {
			o.done(name, ev.line, ev.err)
			fmt.Fprintf(stderr, "%s:%d: %v\n", name, ev.line, ev.err)
			failed++
			continue
		}
		if o.Announce != nil {
			fmt.Fprintf(o.Announce, "▶ %s:%d\n", name, ev.line)
		}
		// The handler gets its own copy: the framer reuses its buffer for the next event.
		err = handleOne(ctx, handle, append(json.RawMessage(nil), ev.raw...))
		o.done(name, ev.line, err)
		if err != nil {
			fmt.Fprintf(stderr, "%s:%d: %v\n", name, ev.line, err)
			failed++
		}
	}
	if failed > 0 && events > 1 {
		fmt.Fprintf(stderr, "%s: %d of %d events not handled (each named above)\n", name, failed, events)
	}
	return failed == 0
}

func (o Options) done(name string, line int, err error) {
	if o.Done != nil {
		o.Done(name, line, err)
	}
}

// handleOne runs handle on one event, turning a panic into that event's error, as Lambda
// fails the one invocation: the rest of the input is still replayed, and the stack is in the
// error for the developer.
func handleOne(ctx context.Context, handle HandleFunc, raw json.RawMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return handle(ctx, raw)
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

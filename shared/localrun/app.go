package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/metrics"
)

// App is the one place a function binary decides between Lambda and a local run, so every
// main.go only wires its handler: under Lambda (AWS_LAMBDA_RUNTIME_API set) Serve calls
// lambda.Start, with JSON logs and one metrics line per invocation; anywhere else it replays
// the events named on the command line (or stdin) and prints one line per event for a
// person, with the JSON logs and metric lines on stderr only at -v or LOG_LEVEL=DEBUG.
//
// Use: NewApp, define the function's own flags on App.Flags, Parse, build the handler with
// App.Log, App.Metrics and App.Out (and, with -state, the stores of App.StateDir), then Serve
// or ServeBatch.
type App struct {
	// Name is the function's name ("logincheck"): the metrics dimension and usage's title.
	Name string
	// Summary says what the function does, for -h.
	Summary string
	// Modes describes inputs other than events (-file, -backfill, -query…), for -h.
	Modes string
	// Env is the environment the function reads, listed by -h.
	Env Env
	// Words rewrite the message of a decision log line in the per-event line (for example
	// "event not checked" → "not a checked sign-in event").
	Words map[string]string
	// Subject names what an event is about in its line; default: the caller, address and
	// account of a CloudTrail event, or the bucket and key of an object-created event.
	Subject func(raw json.RawMessage) string

	// Flags is the function's command line; -v, -json, -state and -h are defined by NewApp.
	Flags *flag.FlagSet
	// Log is the function's logger: JSON under Lambda; locally it feeds the per-event lines,
	// and with -v or LOG_LEVEL=DEBUG writes JSON on stderr too.
	Log *slog.Logger
	// Metrics are the function's counters, flushed after each invocation (to stdout under
	// Lambda as CloudWatch EMF; locally to stderr at -v, else nowhere).
	Metrics *metrics.Counters
	// Out is where a local run prints what it produced (alerts, change records,
	// partitions, counters): under each event's line in text mode.
	Out io.Writer
	// JSON is -json: stdout holds only JSON objects, one a line, and no per-event lines.
	JSON bool
	// Verbose is -v or LOG_LEVEL=DEBUG outside Lambda.
	Verbose bool

	jsonUsage string
	json      *bool
	verbose   *bool
	stateDir  *string
	atExit    []func() error
	stdin     *os.File
	stdout    io.Writer
	stderr    io.Writer
	human     *human
	exit      func(int)
	// metricsOut is where Metrics are flushed after each event.
	metricsOut io.Writer
}

// NewApp returns the App of the function called name. jsonUsage describes its -json output.
func NewApp(name, summary, jsonUsage string) *App {
	a := &App{Name: name, Summary: summary, jsonUsage: jsonUsage, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, exit: os.Exit}
	a.Flags = flag.NewFlagSet(name, flag.ContinueOnError)
	a.Flags.SetOutput(io.Discard)
	a.json = a.Flags.Bool("json", false, jsonUsage)
	a.verbose = a.Flags.Bool("v", false, "verbose: also write the JSON log lines and metric lines on stderr (as LOG_LEVEL=DEBUG does)")
	a.stateDir = a.Flags.String("state", "", stateUsage)
	return a
}

// Parse reads the command line (os.Args) and LOG_LEVEL, and sets up Log, Metrics and Out.
// -h prints the usage on stdout and exits 0; a bad flag or LOG_LEVEL prints what is wrong on
// stderr and exits ExitConfig.
func (a *App) Parse() { a.parse(os.Args[1:]) }

func (a *App) parse(args []string) {
	if err := a.Flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.Usage(a.stdout)
			a.exit(ExitOK)
			return
		}
		fmt.Fprintf(a.stderr, "%s: %v\n(%s -h lists the inputs, flags and environment variables)\n", a.Name, err, a.Name)
		a.exit(ExitConfig)
		return
	}
	a.JSON = *a.json
	level, err := logging.Level()
	if err != nil {
		a.Fail(err)
		return
	}
	a.Metrics = &metrics.Counters{Function: a.Name}
	if config.UnderLambda() {
		a.Log = logging.NewAt(a.stderr, level)
		a.Out = a.stdout
		a.metricsOut = a.stdout
		return
	}
	_, levelSet := os.LookupEnv(logging.LevelVar)
	a.Verbose = *a.verbose || levelSet && level <= slog.LevelDebug
	a.human = &human{app: a, stdout: a.stdout, stderr: a.stderr}
	a.human.held.h = a.human
	a.Out = a.stdout
	if !a.JSON {
		a.Out = &a.human.held
	}
	var h slog.Handler = a.human
	a.metricsOut = io.Discard
	if a.Verbose {
		h = fanout{a.human, slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: level})}
		a.metricsOut = a.stderr
	}
	a.Log = slog.New(h)
}

// Fail prints err on stderr and exits ExitConfig: how a main stops before it serves
// anything, on invalid configuration above all.
func (a *App) Fail(err ...any) {
	fmt.Fprintln(a.stderr, err...)
	a.exit(ExitConfig)
}

// Serve runs handle: under Lambda as the function's handler, forever; anywhere else over the
// events of the command line's files (or stdin), then exits with ExitOK or ExitMalformed.
func (a *App) Serve(ctx context.Context, handle HandleFunc) {
	if config.UnderLambda() {
		lambda.Start(a.Metrics.Flushing(a.stdout, handle))
		return
	}
	a.exit(a.closeState(a.Replay(ctx, handle)))
}

// ServeBatch is Serve for a handler that answers an SQS partial batch response: locally,
// messages reported as failed make their event fail.
func (a *App) ServeBatch(ctx context.Context, handle func(context.Context, json.RawMessage) (*events.SQSEventResponse, error)) {
	if config.UnderLambda() {
		lambda.Start(metrics.FlushingWith(a.Metrics, a.stdout, handle))
		return
	}
	a.exit(a.closeState(a.Replay(ctx, WithBatchFailures(handle))))
}

// Replay replays the command line's files (or stdin) through handle, printing one line per
// event (unless -json), and returns the exit status. With no file and stdin a terminal it
// prints the usage on stderr and returns ExitConfig instead of waiting silently.
func (a *App) Replay(ctx context.Context, handle HandleFunc) int {
	files := a.Flags.Args()
	if len(files) == 0 && isTerminal(a.stdin) {
		fmt.Fprintf(a.stderr, "%s: no input: give event files, or pipe events on stdin\n\n", a.Name)
		a.Usage(a.stderr)
		return ExitConfig
	}
	opts := Options{}
	wrapped := a.Metrics.Flushing(a.metricsOut, handle)
	if !a.JSON {
		a.human.prefix = len(files) > 1
		opts.Done = a.human.done
		inner := wrapped
		wrapped = func(ctx context.Context, raw json.RawMessage) error {
			a.human.begin(raw)
			return inner(ctx, raw)
		}
	}
	return opts.Replay(ctx, files, a.stdin, a.stderr, wrapped)
}

// FlushMetrics writes the counters where the run's metrics go (for modes other than
// Serve: -file, -backfill).
func (a *App) FlushMetrics() error {
	return a.Metrics.Flush(a.metricsOut, timeNow())
}

// Stderr is where a local mode other than the replay reports the problems a person must
// read.
func (a *App) Stderr() io.Writer { return a.stderr }

// Exit ends the process with code (after a mode other than Serve).
func (a *App) Exit(code int) { a.exit(a.closeState(code)) }

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	return isTerminalFd(f.Fd())
}

// fanout sends each log record to every handler that is enabled for it.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// firstLine is the first line of s (a panic's error carries its stack after it).
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/logging"
	"github.com/trailguard/trailguard/shared/objectevent"
)

// objects opens delivered log files (S3, or a local folder).
type objects interface {
	Open(ctx context.Context, o objectevent.Object) (io.ReadCloser, counters.FileID, error)
}

// store applies one file's counts, exactly once per file (counters.Table, counters.Memory).
type store interface {
	Apply(ctx context.Context, file counters.FileID, t *counters.Tally) (counters.Applied, error)
}

// flusher merges the staged counts of the account-hours that have settled (counters.Table);
// the local Memory store applies counts at once and has nothing to merge.
type flusher interface {
	Flush(ctx context.Context) (counters.Flushed, error)
}

// FlushAction is the scheduled event that merges staged counts: {"action":"flush-counters"}
// (template.yaml's schedule sends it every few minutes).
const FlushAction = "flush-counters"

// DefaultMaxCounters is the distinct counters a file's tally may hold before its counts are
// applied as a part (Handler.MaxCounters): sized for a 128 MB function (shared/counters/doc.go).
const DefaultMaxCounters = 150_000

// publisher delivers alerts (the durable alert.Sender).
type publisher interface {
	Publish(ctx context.Context, alerts []alert.Alert) error
}

// counter is the part of metrics.Counters the handler uses.
type counter interface {
	Add(name string, n int)
}

// Handler counts delivered log files. It is built once per container and used for every event.
type Handler struct {
	Objects objects
	Store   store
	Alerts  publisher
	Rules   Rules
	// Detect runs the detection rules over every record (LOG_FILE_RULES=all); nil: off.
	Detect detector
	Layout *keylayout.Layout // keys of CloudTrail log files; other objects are skipped
	Bucket string            // when set, objects of other buckets are skipped
	// MaxCounters bounds the memory a file takes: once its tally holds this many distinct
	// counters, they are applied as one part of the file (FileID.Part, exactly once like a
	// file) and counting goes on in an empty tally. 0 means DefaultMaxCounters.
	MaxCounters int
	// Report is told of each file counted, with its counters (local runs print them); may be nil.
	Report  func(Summary, *counters.Tally)
	Log     *slog.Logger
	Metrics counter
}

// Summary is what counting one log file did.
type Summary struct {
	Bucket       string `json:"bucket"`
	Key          string `json:"key"`
	Records      int    `json:"records"`   // records read, malformed ones included
	Malformed    int    `json:"malformed"` // records skipped as malformed
	Bytes        int64  `json:"bytes"`     // bytes of the file as stored (compressed)
	DecodedBytes int64  `json:"decoded_bytes"`
	Counters     int    `json:"counters"` // distinct counters (of the last part, when the file took several)
	Parts        int    `json:"parts"`    // tallies applied: 1, more when the file's counters exceeded the budget
	Written      int    `json:"written"`  // counter items incremented now
	Already      int    `json:"already"`  // items this file had incremented before (redelivery, retry)
	Alerts       int    `json:"alerts"`
	RuleAlerts   int    `json:"rule_alerts"` // alerts of the detection rules (one per finding in the file)
	RuleErrors   int    `json:"rule_errors"` // records a rule could not decide on
	// DetectionSkipped: with the detection rules on, the records they did not see, for any
	// reason: invalid JSON, not a usable record (no valid time, event name or identity:
	// trail.Record.Check). A record the counters refuse on a field (malformed for them) is
	// still given to the rules when it is valid JSON.
	DetectionSkipped int `json:"detection_skipped"`
	// EmptyFiles is 1 for a file with no record at all (0 bytes, whitespace, gzip of nothing,
	// an empty Records array): not an error, but unusual enough (a failed upload, a stand-in
	// object) that it is said, not passed over in silence.
	EmptyFiles int `json:"empty_files"`
}

// maxMalformedLogged bounds the log lines of one file's malformed records.
const maxMalformedLogged = 10

// Handle is the Lambda entry point for all three trigger shapes. For an SQS batch it answers
// the partial batch response (only the messages whose files failed, or whose body is
// malformed, return to the queue); for the other shapes any failure fails the invocation, so
// Lambda retries it and then dead-letters it. Retrying is safe: the counts of a file are
// applied once, however often it is read.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (*events.SQSEventResponse, error) {
	log := logging.ForInvocation(ctx, h.Log)
	var action struct {
		Action string `json:"action"`
	}
	if json.Unmarshal(raw, &action) == nil && action.Action == FlushAction {
		return nil, h.Flush(ctx, log)
	}
	batch, err := objectevent.Decode(raw)
	if err != nil {
		h.Metrics.Add("MalformedEvents", 1)
		log.ErrorContext(ctx, "malformed event", "decision", "reject", "error", err.Error())
		return nil, err
	}
	var errs []error
	var failedIDs []string
	for _, m := range batch.Messages {
		mlog := log
		if m.ID != "" {
			mlog = log.With("message_id", m.ID)
		}
		err := m.Err
		if err != nil {
			h.Metrics.Add("MalformedMessages", 1)
			mlog.ErrorContext(ctx, "malformed message", "decision", "reject", "error", err.Error())
		}
		for _, reason := range m.Skipped {
			mlog.InfoContext(ctx, "not an object created", "decision", "skip", "reason", reason)
		}
		for _, o := range m.Objects {
			// A panic (a bug some file trips) fails this message only, not the batch.
			ferr := objectevent.Recover(ctx, mlog, o, func() error { return h.object(ctx, mlog, o) })
			if errors.Is(ferr, objectevent.ErrPanic) {
				h.Metrics.Add("FilesFailed", 1)
				h.Metrics.Add("FilesPanicked", 1)
			}
			if ferr != nil {
				err = errors.Join(err, ferr)
			}
		}
		if err != nil {
			errs = append(errs, err)
			failedIDs = append(failedIDs, m.ID)
		}
	}
	if batch.Shape == objectevent.ShapeSQS && len(failedIDs) > 0 {
		h.Metrics.Add("BatchItemFailures", len(failedIDs))
	}
	return batch.Response(ctx, log, failedIDs, errs)
}

// Flush merges the staged counts of every account-hour that has settled (the scheduled
// event). A failure fails the invocation; the next schedule, or the retry, finishes the merge
// exactly where it stopped.
func (h *Handler) Flush(ctx context.Context, log *slog.Logger) error {
	f, ok := h.Store.(flusher)
	if !ok {
		log.InfoContext(ctx, "nothing to merge", "decision", "skip", "reason", "counters are applied at once by this store")
		return nil
	}
	start := time.Now()
	out, err := f.Flush(ctx)
	h.Metrics.Add("MergedAccountHours", out.Groups)
	h.Metrics.Add("MergedStages", out.Stages)
	h.Metrics.Add("CounterWrites", out.Written)
	if err != nil {
		h.Metrics.Add("MergesFailed", 1)
		log.ErrorContext(ctx, "counters not merged", "decision", "retry", "merged", out.Groups, "error", err.Error())
		return fmt.Errorf("merge counters: %w", err)
	}
	log.InfoContext(ctx, "counters merged", "decision", "merged", "account_hours", out.Groups, "plans", out.Plans,
		"stages", out.Stages, "written", out.Written, "not_due", out.NotDue, "ms", time.Since(start).Milliseconds())
	return nil
}

// object counts one announced object, unless it is not a log file of the trail.
func (h *Handler) object(ctx context.Context, log *slog.Logger, o objectevent.Object) error {
	log = log.With("bucket", o.Bucket, "key", o.Key)
	reason := ""
	if h.Bucket != "" && o.Bucket != h.Bucket {
		reason = "bucket is not TRAIL_BUCKET " + h.Bucket
	} else if r, skip := objectevent.Skippable(o.Key); skip {
		reason = r
	} else if _, ok := h.Layout.Match(o.Key); !ok {
		reason = "not a CloudTrail log file key: " + h.Layout.String()
	}
	if reason != "" {
		h.Metrics.Add("ObjectsSkipped", 1)
		log.InfoContext(ctx, "object skipped", "decision", "skip", "reason", reason)
		return nil
	}
	body, id, err := h.Objects.Open(ctx, o)
	if errors.Is(err, errGone) {
		h.Metrics.Add("ObjectsGone", 1)
		log.WarnContext(ctx, "object gone", "decision", "skip", "reason", err.Error())
		return nil
	}
	if err != nil {
		h.Metrics.Add("FilesFailed", 1)
		log.ErrorContext(ctx, "log file not read", "decision", "retry", "error", err.Error())
		return fmt.Errorf("s3://%s/%s: %w", o.Bucket, o.Key, err)
	}
	defer body.Close()
	_, err = h.Aggregate(ctx, log, id, body)
	return err
}

// Aggregate counts one log file read from r and applies its counts, once, under its identity;
// then raises the alerts of the thresholds the file made its counters cross.
func (h *Handler) Aggregate(ctx context.Context, log *slog.Logger, file counters.FileID, r io.Reader) (Summary, error) {
	start := time.Now()
	sum := Summary{Bucket: file.Bucket, Key: file.Key}
	fail := func(stage string, err error) (Summary, error) {
		h.Metrics.Add("FilesFailed", 1)
		log.ErrorContext(ctx, "log file not counted", "decision", "retry", "stage", stage, "records", sum.Records, "error", err.Error())
		return sum, fmt.Errorf("s3://%s/%s: %s: %w", file.Bucket, file.Key, stage, err)
	}
	var found fileDetections
	var results []counters.RuleResult
	// apply applies one part of the file: all of it, or, for a file with more distinct
	// counters than MaxCounters, the counters counted since the last part.
	apply := func(t *counters.Tally) error {
		part := file
		part.Part = sum.Parts
		applied, err := h.Store.Apply(ctx, part, t)
		if err != nil {
			return err
		}
		sum.Parts++
		sum.Written += applied.Written
		sum.Already += applied.Already
		results = append(results, applied.Rules...)
		return nil
	}
	tally, err := h.countParts(ctx, log, r, &sum, &found, apply)
	if err != nil {
		return fail("read", err)
	}
	if err := apply(tally); err != nil {
		return fail("write counters", err)
	}
	alerts := h.Rules.crossings(file, results)
	sum.Alerts = len(alerts)
	for _, a := range alerts {
		log.InfoContext(ctx, "threshold crossed", "decision", "alert", "kind", a.Kind, "event_id", a.EventID)
	}
	// The detection rules' alerts go out after the counts are applied: a failure here fails
	// the file, and its retry counts nothing twice and sends no alert twice.
	ruleAlerts := found.final()
	sum.RuleAlerts, sum.RuleErrors = len(ruleAlerts), found.ruleErrs
	if h.Detect != nil {
		sum.DetectionSkipped = found.skipped
	}
	for _, a := range ruleAlerts {
		log.InfoContext(ctx, "rule matched", "decision", "alert", "kind", a.Kind, "event_id", a.EventID)
	}
	alerts = append(alerts, ruleAlerts...)
	if len(alerts) > 0 {
		if err := h.Alerts.Publish(ctx, alerts); err != nil {
			return fail("publish alerts", err)
		}
	}
	h.Metrics.Add("Files", 1)
	h.Metrics.Add("Records", sum.Records)
	h.Metrics.Add("MalformedRecords", sum.Malformed)
	h.Metrics.Add("CounterWrites", sum.Written)
	h.Metrics.Add("CounterWritesAlready", sum.Already)
	h.Metrics.Add("RuleAlerts", sum.RuleAlerts)
	h.Metrics.Add("RuleErrors", sum.RuleErrors)
	h.Metrics.Add("DetectionSkipped", sum.DetectionSkipped)
	h.Metrics.Add("EmptyFiles", sum.EmptyFiles)
	decision := "counted"
	if sum.Written == 0 && sum.Already > 0 {
		decision = "already-counted"
	}
	log.InfoContext(ctx, "log file counted", "decision", decision, "records", sum.Records, "malformed", sum.Malformed,
		"bytes", sum.Bytes, "counters", sum.Counters, "written", sum.Written, "already", sum.Already,
		"alerts", sum.Alerts, "rule_alerts", sum.RuleAlerts, "rule_errors", sum.RuleErrors, "detection_skipped", sum.DetectionSkipped,
		"empty", sum.EmptyFiles > 0, "ms", time.Since(start).Milliseconds())
	if h.Report != nil {
		h.Report(sum, tally)
	}
	return sum, nil
}

// count reads every record of the file into a tally, and through the detection rules when they
// are on. Malformed records are counted, logged (the first few) and skipped; a file that cannot
// be read to its end is an error.
func (h *Handler) count(ctx context.Context, log *slog.Logger, r io.Reader, sum *Summary, found *fileDetections) (*counters.Tally, error) {
	return h.countParts(ctx, log, r, sum, found, nil)
}

// countParts is count with a memory ceiling: whenever the tally holds MaxCounters distinct
// counters it is given to part (which applies it) and counting goes on in a new one. A nil
// part: no ceiling.
func (h *Handler) countParts(ctx context.Context, log *slog.Logger, r io.Reader, sum *Summary, found *fileDetections, part func(*counters.Tally) error) (*counters.Tally, error) {
	budget := h.MaxCounters
	if budget <= 0 {
		budget = DefaultMaxCounters
	}
	lr, err := logfile.NewReader(r)
	if err != nil {
		return nil, err
	}
	// The summary says how far the read got, also when it fails half-way.
	defer func() { sum.Records, sum.Bytes, sum.DecodedBytes = lr.Records(), lr.StoredBytes(), lr.DecodedBytes() }()
	tally := counters.NewTally()
	var p counters.Parser
	for {
		raw, err := lr.NextFunc(p.Parse)
		if err != nil {
			if err == io.EOF {
				break
			}
			var re *logfile.RecordError
			if !errors.As(err, &re) {
				return nil, err
			}
			if sum.Malformed++; sum.Malformed <= maxMalformedLogged {
				log.WarnContext(ctx, "malformed record", "decision", "skip", "record", re.Index, "offset", re.Offset, "error", re.Err.Error())
			}
			if h.Detect != nil {
				// Not countable, but the rules may still read it: a field the counters need
				// (an account, a string source address) may be one no rule needs.
				if err := found.add(ctx, log, h.Detect, re.Record); err != nil {
					return nil, err
				}
			}
			continue
		}
		rec := p.Record()
		if part != nil && tally.Len() >= budget {
			if err := part(tally); err != nil {
				return nil, fmt.Errorf("write counters (part %d): %w", sum.Parts, err)
			}
			tally = counters.NewTally()
		}
		tally.Add(&rec.Key)
		h.Rules.count(tally, rec, raw)
		if h.Detect != nil {
			if err := found.addParsed(ctx, log, h.Detect, &p, raw); err != nil {
				return nil, err
			}
		}
		if lr.Records()%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if sum.Malformed > maxMalformedLogged {
		log.WarnContext(ctx, "more malformed records", "decision", "skip", "not_logged", sum.Malformed-maxMalformedLogged)
	}
	found.logMore(ctx, log)
	if lr.Records() == 0 {
		sum.EmptyFiles = 1
		log.WarnContext(ctx, "empty log file", "decision", "skip", "reason", "no records (empty, whitespace, or an empty Records array)",
			"bytes", lr.StoredBytes(), "decoded_bytes", lr.DecodedBytes())
	}
	sum.Counters = tally.Len()
	return tally, nil
}

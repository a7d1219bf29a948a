package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/trailguard/trailguard/shared/trail"
)

var timeNow = time.Now

// human turns a local run's decision log lines into one line per event on stdout, followed
// by what the event produced (alerts, records: held in held while the event runs). Log lines
// outside an event print on stderr only at ERROR: a person must read those.
type human struct {
	app            *App
	stdout, stderr io.Writer
	prefix         bool // name each line's input ("FILE:LINE: …"): several files are replayed

	mu      sync.Mutex
	attrs   []slog.Attr // from WithAttrs, shared by handlers derived from this one
	inEvent bool
	subject string
	recs    []decided
	held    heldOutput
}

// decided is one log line of the current event, reduced to what its line needs.
type decided struct {
	level    slog.Level
	msg      string
	decision string
	attrs    map[string]string
}

// heldOutput buffers what the handler prints during an event, so the event's line comes
// first; outside an event it writes through.
type heldOutput struct {
	h   *human
	buf bytes.Buffer
}

func (o *heldOutput) Write(p []byte) (int, error) {
	o.h.mu.Lock()
	defer o.h.mu.Unlock()
	if o.h.inEvent {
		return o.buf.Write(p)
	}
	return o.h.stdout.Write(p)
}

func (h *human) begin(raw json.RawMessage) {
	subject := Subject(raw)
	if h.app.Subject != nil {
		subject = h.app.Subject(raw)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inEvent, h.subject, h.recs = true, subject, h.recs[:0]
	h.held.buf.Reset()
}

// done prints the event's line, then what the event printed.
func (h *human) done(name string, line int, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	text := h.line(err)
	if h.prefix {
		text = fmt.Sprintf("%s:%d: %s", name, line, text)
	}
	fmt.Fprintln(h.stdout, text)
	h.stdout.Write(h.held.buf.Bytes())
	h.held.buf.Reset()
	h.inEvent, h.subject, h.recs = false, "", h.recs[:0]
}

// line says what happened to the current event in a few words.
func (h *human) line(err error) string {
	about := func(s string) string {
		if h.subject == "" {
			return s
		}
		return s + ": " + h.subject
	}
	if err != nil {
		msg := firstLine(err.Error())
		if rest, ok := strings.CutPrefix(msg, "malformed event: "); ok {
			return "skipped: malformed: " + rest
		}
		if strings.HasPrefix(msg, "not JSON") {
			return "skipped: " + msg
		}
		for _, r := range h.recs {
			if r.decision == "reject" { // a malformed message of a batch: say which, not its ID
				msg = r.msg + ": " + r.attrs["error"]
				break
			}
		}
		return about("failed: " + msg)
	}
	// Alerts, each matched with what the sender made of it (by kind, in order): the sent ones
	// first, then the ones it did not send, grouped by why (suppressed, already sent, folded…:
	// the sender's own words).
	outcomes := map[string][]string{}
	for _, r := range h.recs {
		if kind := r.attrs["kind"]; kind != "" && r.decision != "" && r.decision != "alert" {
			w, ok := senderWords[r.decision]
			if !ok {
				w = strings.TrimPrefix(r.msg, "alert ")
			}
			outcomes[kind] = append(outcomes[kind], w)
		}
	}
	var sent, held groups
	for _, r := range h.recs {
		if r.decision != "alert" {
			continue
		}
		kind := r.attrs["kind"]
		name := strings.TrimSpace(r.attrs["severity"] + " " + kind)
		outcome := ""
		if q := outcomes[kind]; len(q) > 0 {
			outcome, outcomes[kind] = q[0], q[1:]
		}
		if outcome == "" || outcome == "sent" {
			sent.add("", name)
		} else {
			held.add(outcome, kind)
		}
	}
	if len(sent.order)+len(held.order) > 0 {
		var parts []string
		if len(sent.order) > 0 {
			parts = append(parts, "ALERT "+sent.String(""))
		}
		for _, why := range held.whys {
			parts = append(parts, why+": "+held.String(why))
		}
		return about(strings.Join(parts, "; "))
	}
	// Otherwise the event's decisions at INFO, in order, each once with its count.
	var order []string
	count := map[string]int{}
	for _, r := range h.recs {
		if r.decision == "" || r.level > slog.LevelInfo || r.decision == "send" {
			continue
		}
		w := h.words(r)
		if count[w] == 0 {
			order = append(order, w)
		}
		count[w]++
	}
	if len(order) == 0 {
		return about("handled")
	}
	parts := make([]string, len(order))
	for i, w := range order {
		parts[i] = w
		if count[w] > 1 {
			parts[i] = fmt.Sprintf("%s ×%d", w, count[w])
		}
	}
	return about(strings.Join(parts, "; "))
}

// senderWords say what became of an alert the sender did not send, by its decision.
var senderWords = map[string]string{
	"send":        "sent",
	"suppress":    "suppressed (repeat within SUPPRESS_WINDOW)",
	"duplicate":   "already sent (redelivery)",
	"retry-later": "claimed by another invocation",
	"release":     "not delivered",
}

// groups counts names under a heading, keeping the order they came in.
type groups struct {
	whys  []string
	order []string
	count map[string]int
	under map[string][]string
}

func (g *groups) add(why, name string) {
	if g.count == nil {
		g.count, g.under = map[string]int{}, map[string][]string{}
	}
	key := why + "\x00" + name
	if g.count[key] == 0 {
		if len(g.under[why]) == 0 {
			g.whys = append(g.whys, why)
		}
		g.under[why] = append(g.under[why], name)
		g.order = append(g.order, key)
	}
	g.count[key]++
}

// String lists the names under why, with their counts: "HIGH a ×3, LOW b".
func (g *groups) String(why string) string {
	parts := make([]string, 0, len(g.under[why]))
	for _, name := range g.under[why] {
		if n := g.count[why+"\x00"+name]; n > 1 {
			name = fmt.Sprintf("%s ×%d", name, n)
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// words renders one decision: "ignored: reason", "skipped: reason", or the log message.
func (h *human) words(r decided) string {
	msg := r.msg
	if w, ok := h.app.Words[msg]; ok {
		msg = w
	}
	why := r.attrs["reason"]
	if why == "" {
		why = msg
	}
	switch r.decision {
	case "ignore":
		return "ignored: " + why
	case "skip":
		return "skipped: " + why
	case "pass":
		return msg
	}
	if msg == "change" { // tagenrich: "change" with decision record/duplicate
		if r.decision == "duplicate" {
			return "change already recorded"
		}
		return "change recorded"
	}
	return msg
}

// Enabled: every level feeds the per-event line (the decisions are at INFO and above).
func (h *human) Enabled(context.Context, slog.Level) bool { return true }

func (h *human) Handle(_ context.Context, r slog.Record) error {
	d := decided{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	add := func(a slog.Attr) bool {
		d.attrs[a.Key] = a.Value.String()
		return true
	}
	h.mu.Lock()
	for _, a := range h.attrs {
		add(a)
	}
	h.mu.Unlock()
	r.Attrs(add)
	d.decision = d.attrs["decision"]
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inEvent {
		h.recs = append(h.recs, d)
		return nil
	}
	if r.Level >= slog.LevelError {
		text := d.msg
		if e := d.attrs["error"]; e != "" {
			text += ": " + e
		}
		fmt.Fprintf(h.stderr, "%s: %s\n", h.app.Name, text)
	}
	return nil
}

func (h *human) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &derived{h: h, attrs: attrs}
}

func (h *human) WithGroup(string) slog.Handler { return h }

// derived is the human handler with attributes added (log.With), as the handlers use for
// the event ID, kind and such.
type derived struct {
	h     *human
	attrs []slog.Attr
}

func (d *derived) Enabled(context.Context, slog.Level) bool { return true }

func (d *derived) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(d.attrs...)
	return d.h.Handle(ctx, r)
}

func (d *derived) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &derived{h: d.h, attrs: append(append([]slog.Attr(nil), d.attrs...), attrs...)}
}

func (d *derived) WithGroup(string) slog.Handler { return d }

// Subject names what an event is about, for its line: "alice from 192.0.2.10 acct
// 111122223333" for a CloudTrail event (EventBridge), "s3://bucket/key" for an object-created
// event (EventBridge or S3 notification), "N messages" for an SQS batch; "" when it cannot tell.
func Subject(raw json.RawMessage) string {
	var ev struct {
		Account string `json:"account"`
		Detail  *struct {
			UserIdentity       trail.UserIdentity `json:"userIdentity"`
			SourceIPAddress    any                `json:"sourceIPAddress"`
			RecipientAccountID string             `json:"recipientAccountId"`
			EventName          string             `json:"eventName"`
			Bucket             struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"detail"`
		Records []struct {
			EventSource string `json:"eventSource"`
			S3          struct {
				Bucket struct {
					Name string `json:"name"`
				} `json:"bucket"`
				Object struct {
					Key string `json:"key"`
				} `json:"object"`
			} `json:"s3"`
		} `json:"Records"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return ""
	}
	switch {
	case ev.Detail != nil && ev.Detail.Bucket.Name != "":
		return "s3://" + ev.Detail.Bucket.Name + "/" + ev.Detail.Object.Key
	case ev.Detail != nil:
		d := ev.Detail
		var parts []string
		if who := d.UserIdentity.Name(); who != "" {
			parts = append(parts, who)
		}
		if ip, ok := d.SourceIPAddress.(string); ok && ip != "" {
			parts = append(parts, "from", ip)
		}
		if acct := cmpOr(d.RecipientAccountID, d.UserIdentity.AccountID, ev.Account); acct != "" {
			parts = append(parts, "acct", acct)
		}
		if d.EventName != "" && d.EventName != "ConsoleLogin" {
			parts = append(parts, "("+d.EventName+")")
		}
		return strings.Join(parts, " ")
	case len(ev.Records) == 1 && ev.Records[0].S3.Bucket.Name != "":
		return "s3://" + ev.Records[0].S3.Bucket.Name + "/" + ev.Records[0].S3.Object.Key
	case len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:sqs":
		if len(ev.Records) == 1 {
			return "1 SQS message"
		}
		return fmt.Sprintf("%d SQS messages", len(ev.Records))
	}
	return ""
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// detector runs the detection rules on one decoded record (rules.Detector).
type detector interface {
	Detect(ctx context.Context, rec *trail.Record) ([]alert.Alert, error)
	// Known appends the fingerprints of the alerts Detect would raise on the record raw with
	// these kept fields, when the fields and the payload paths the admitted rules read say
	// (rules.Detector.Known): a record that raises nothing (the prefilter admits it to no
	// rule, or none matches), or whose findings the file has an alert of already, need not be
	// decoded.
	Known(ctx context.Context, rec *trail.Record, raw []byte, dst []string) ([]string, bool)
	// KnownAlerts is Known for kept fields that hold the record's payloads and eventID
	// already (counters.Parser.PayloadsLocated: the record is not read again), building in the
	// same pass the alerts of the findings isNew says the file has none of yet
	// (rules.Detector.KnownAlerts): the first record of a finding need not be decoded either.
	KnownAlerts(ctx context.Context, rec *trail.Record, isNew func(print string) bool, prints []string, alerts []alert.Alert) ([]string, []alert.Alert, bool)
}

// newDetector builds the same rules the rules function runs, so a record seen in real time and
// again in its log file raises the same alert (kind = rule id, same event ID), which the alert
// state then sends once. Threshold counts live in counts: the alert state table, a local run's
// -state, or in memory when counts is nil.
func newDetector(cfg Config, counts rules.Counter) (*rules.Detector, error) {
	engine, err := cfg.Selection.Build(pack.FS)
	if err != nil {
		return nil, err
	}
	if counts == nil {
		counts = &rules.MemoryCounter{}
	}
	return rules.NewDetector(engine, counts)
}

// fileDetections collects the rule alerts of one log file. Alerts of one finding (one
// fingerprint) are folded into the first, which says how many more the file held: a noisy file
// (thousands of denied reads by one principal) costs one alert claim, not thousands. A record a
// rule cannot decide is counted and logged, never a reason to stop counting the file; so is a
// record the rules cannot read at all (skipped).
type fileDetections struct {
	findings []*finding          // in the order first seen
	byPrint  map[string]*finding // by fingerprint
	ruleErrs int
	skipped  int                     // records the rules did not see: invalid JSON, or not usable (trail.Record.Check)
	folded   int                     // records folded into alerts of this file, their findings known without decoding
	built    int                     // records whose new findings' alerts were built from the kept fields (not decoded)
	cleared  int                     // records known to raise nothing by the kept fields (no rule admitted) and the payload paths the rules read (not decoded)
	prints   []string                // scratch for Known
	alerts   []alert.Alert           // scratch for KnownAlerts
	isNew    func(print string) bool // whether the file has no alert of a finding (made once)
	logged   int                     // rule errors logged
	skipLog  int                     // skipped records logged
}

// add runs the rules on one record of the file, raw as the file holds it; nil raw is a record
// that is not valid JSON, which the rules cannot see either. The record is decoded and judged
// as every function judges it (trail.DecodeRecord: a missing eventID is derived; Check).
func (f *fileDetections) add(ctx context.Context, log *slog.Logger, d detector, raw []byte) error {
	if raw == nil {
		f.skipped++ // logged already as a malformed record
		return nil
	}
	rec, err := trail.DecodeRecord(raw)
	if err == nil {
		err = rec.Check()
	}
	if err != nil {
		f.skip(ctx, log, "unusable record", err)
		return nil
	}
	found, err := d.Detect(ctx, rec)
	f.collect(found)
	if err == nil {
		return nil
	}
	var evalErr *rules.EvalError
	switch {
	case errors.Is(err, trail.ErrMalformed):
		f.skip(ctx, log, "refused by the detector", err)
		return nil
	case errors.As(err, &evalErr):
		if f.ruleErrs++; f.logged < maxMalformedLogged {
			f.logged++
			log.WarnContext(ctx, "rule could not decide on a record", "decision", "skip", "rule", evalErr.RuleID, "event_id", evalErr.EventID, "error", err.Error())
		}
		return nil
	}
	return fmt.Errorf("detection rules: %w", err)
}

// addParsed is add for a record the counters' parser accepted: the rules' prefilter judges it
// on the fields the parser kept (counters.Parser.Fields), and only a record some rule could
// match is decoded in full for them. Most records are none of the rules' calls: they cost no
// second decode. Nor does a record whose findings are known without decoding it
// (Detector.Known: the kept fields, and the few payload paths the admitted rules read, found
// in raw) when it raises none (a launch of a t3.micro, an upload under the bucket's own key:
// cleared) or the file has an alert of each of its findings already: it is counted into them
// as decoding it would have (folded). The first record of a finding is not decoded either when
// its alerts can be built from the kept fields (Detector.KnownAlerts: built), else it is
// decoded to build them. A record whose kept fields a full decoder could read otherwise
// (Parser.Ambiguous), or which the rules would judge unusable (no identity: trail's Check;
// the parser has checked time and event name), goes the whole way as before.
func (f *fileDetections) addParsed(ctx context.Context, log *slog.Logger, d detector, p *counters.Parser, raw []byte) error {
	fields := p.Fields()
	usable := fields.UserIdentity.Type != "" || p.Record().Principal != ""
	if usable && !p.Ambiguous() {
		var prints []string
		var ok bool
		if p.PayloadsLocated() {
			if f.isNew == nil {
				f.isNew = func(print string) bool { _, seen := f.byPrint[print]; return !seen }
			}
			prints, f.alerts, ok = d.KnownAlerts(ctx, fields, f.isNew, f.prints[:0], f.alerts[:0])
		} else {
			prints, ok = d.Known(ctx, fields, raw, f.prints[:0])
			if ok && !f.knowsAll(prints) {
				ok = false // its new findings' alerts: decode it to build them
			}
			f.alerts = f.alerts[:0]
		}
		f.prints = prints
		switch {
		case ok && len(prints) == 0:
			f.cleared++
			return nil
		case ok:
			if len(f.alerts) == 0 {
				f.folded++
			} else {
				f.built++
			}
			f.collectKnown(prints, f.alerts)
			return nil
		}
	}
	return f.add(ctx, log, d, raw)
}

// collect adds a decoded record's alerts to the file's: each new finding's first, a repeat
// counted into it.
func (f *fileDetections) collect(found []alert.Alert) {
	for i := range found {
		if fp := found[i].Fingerprint(); !f.repeat(fp) {
			f.first(fp, found[i])
		}
	}
}

// collectKnown is collect for a record judged undecoded: prints are its findings'
// fingerprints, alerts those of the findings the file had none of, in order.
func (f *fileDetections) collectKnown(prints []string, alerts []alert.Alert) {
	for _, fp := range prints {
		if !f.repeat(fp) {
			f.first(fp, alerts[0])
			alerts = alerts[1:]
		}
	}
}

// knowsAll says whether the file has an alert of each of these findings.
func (f *fileDetections) knowsAll(prints []string) bool {
	for _, fp := range prints {
		if _, ok := f.byPrint[fp]; !ok {
			return false
		}
	}
	return true
}

// repeat counts a record into the file's alert of finding fp, if it has one.
func (f *fileDetections) repeat(fp string) bool {
	g, ok := f.byPrint[fp]
	if ok {
		g.repeats++
	}
	return ok
}

// first keeps a as the file's alert of finding fp.
func (f *fileDetections) first(fp string, a alert.Alert) {
	if f.byPrint == nil {
		f.byPrint = map[string]*finding{}
	}
	g := &finding{alert: a}
	f.byPrint[fp] = g
	f.findings = append(f.findings, g)
}

// skip counts a record the rules did not see, logging the first few.
func (f *fileDetections) skip(ctx context.Context, log *slog.Logger, reason string, err error) {
	if f.skipped++; f.skipLog < maxMalformedLogged {
		f.skipLog++
		log.WarnContext(ctx, "record not seen by the detection rules", "decision", "skip", "reason", reason, "error", err.Error())
	}
}

// logMore says how many skipped records were not logged here one by one (invalid JSON is
// logged as a malformed record).
func (f *fileDetections) logMore(ctx context.Context, log *slog.Logger) {
	if n := f.skipped - f.skipLog; n > 0 {
		log.WarnContext(ctx, "more records not seen by the detection rules", "decision", "skip", "not_logged", n)
	}
}

// final returns the collected alerts, each saying how many more of its finding the file held.
func (f *fileDetections) final() []alert.Alert {
	out := make([]alert.Alert, len(f.findings))
	for i, g := range f.findings {
		out[i] = g.alert
		if g.repeats > 0 {
			out[i].Details = append(out[i].Details, alert.Detail{Label: "In this log file", Value: fmt.Sprintf("%d more like this", g.repeats)})
		}
	}
	return out
}

// finding is one alert of the file and how many more records of its finding the file held
// (kept apart, so a file of many findings grows a slice of pointers, not of alerts).
type finding struct {
	alert   alert.Alert
	repeats int
}

package trail

import (
	"fmt"
	"time"
)

// Accepted forms of eventTime. CloudTrail writes RFC 3339 in UTC ("2026-11-20T09:45:19Z"),
// some services and re-exports add fractional seconds or an offset, and exports from
// Athena/CloudTrail Lake and the console's CSV download write "2026-11-20 09:45:19[.123]"
// without a zone, which is UTC. Every path that reads an event time uses ParseTime, so a
// record every function accepts is the same record.
const (
	// ExportTimeLayout is the export form, read as UTC.
	ExportTimeLayout = "2006-01-02 15:04:05.999999999"
)

// ParseTime parses an eventTime in any accepted form and returns it in UTC. Impossible
// dates (2026-02-31, hour 24) are errors: a record with one is malformed, not misfiled.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, &FieldError{Field: "eventTime", Problem: "missing"}
	}
	// time.Parse checks the day against the month (February 31 fails) and every range.
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(ExportTimeLayout, s); err == nil {
		return t, nil
	}
	return time.Time{}, &FieldError{Field: "eventTime",
		Problem: fmt.Sprintf("%.64q is not a time (want RFC 3339, e.g. 2026-11-20T09:45:19Z, or 2026-11-20 09:45:19 in UTC)", s)}
}

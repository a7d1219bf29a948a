package counters

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/trail"
)

// hourTimes are eventTimes of every accepted form and near every edge of the calendar.
var hourTimes = []string{
	"2026-11-20T07:58:43Z", "2026-11-20T07:58:43.123Z", "2026-11-20T07:58:43.123456789Z",
	"2026-11-20T01:30:00+02:00", "2026-11-20T23:30:00-01:00", "2026-11-20 07:58:43", "2026-11-20 07:58:43.5",
	"2025-01-21 17:49:47.000000000", "2026-02-28T23:59:59Z", "2026-02-29T00:00:00Z", "2026-02-31T07:58:43Z",
	"2026-02-31 07:58:43", "2028-02-29T12:00:00Z", "2000-02-29T12:00:00Z", "1900-02-29T12:00:00Z",
	"2026-04-31T00:00:00Z", "2026-04-30T00:00:00Z", "2026-12-31T23:59:59Z", "2026-12-32T00:00:00Z",
	"2026-00-10T00:00:00Z", "2026-13-10T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-20T24:00:00Z",
	"2026-11-20T07:60:00Z", "2026-11-20T07:58:60Z", "2026-11-20T07:58:61Z", "0000-01-01T00:00:00Z",
	"0000-01-01T00:30:00+01:00", "9999-12-31T23:59:59Z", "9999-12-31T23:30:00-01:00", "2026-11-20T07:58:43z",
	"2026-11-20t07:58:43Z", "2026-11-20T07:58:43", "2026-11-20", "", "2026-11-2OT07:58:43Z", "+2026-11-20T07:58:43Z",
	"2026-11-20T07:58:43+24:00", "2026-11-20T07:58:43.Z", "2026-1-20T07:58:43Z", " 2026-11-20T07:58:43Z",
}

// checkHourOf: hourOf accepts exactly the times trail.ParseTime accepts (whose UTC year has
// four digits), gives their UTC hour, and every hour it gives has an expiry.
func checkHourOf(t *testing.T, s string) {
	t.Helper()
	got, err := hourOf(s)
	tm, terr := trail.ParseTime(s)
	if terr == nil && (tm.Year() < 0 || tm.Year() > 9999) {
		terr = errors.New("UTC year out of range")
	}
	switch {
	case terr != nil && err == nil:
		t.Fatalf("hourOf(%q) = %q, trail.ParseTime refuses it (%v)", s, got, terr)
	case terr == nil && err != nil:
		t.Fatalf("hourOf(%q) refuses it (%v), trail.ParseTime gives %v", s, err, tm)
	case err != nil:
		var fe *trail.FieldError
		if !errors.As(err, &fe) || fe.Field != "eventTime" {
			t.Fatalf("hourOf(%q) error %v does not name eventTime", s, err)
		}
		return
	}
	if want := tm.Format(HourLayout); got != want {
		t.Fatalf("hourOf(%q) = %q, want %q", s, got, want)
	}
	if _, err := expiry(got, 90*24*time.Hour); err != nil {
		t.Fatalf("hourOf(%q) = %q: no expiry: %v", s, got, err)
	}
}

// TestHourOfAgreesWithParseTime: the counters' fast path accepts exactly the forms every other
// function accepts, and refuses impossible dates (2026-02-31 used to be counted, then fail the
// file at its counter's expiry).
func TestHourOfAgreesWithParseTime(t *testing.T) {
	for _, s := range hourTimes {
		checkHourOf(t, s)
	}
	for _, tt := range []struct{ in, want string }{
		{"2026-02-31T07:58:43Z", ""},
		{"2028-02-29T12:00:00Z", "2028-02-29T12"},
		{"2026-11-20 07:58:43", "2026-11-20T07"},
		{"2026-11-20T01:30:00+02:00", "2026-11-19T23"},
	} {
		if got, _ := hourOf(tt.in); got != tt.want {
			t.Errorf("hourOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzHourOf: the differential property of TestHourOfAgreesWithParseTime on any string, and
// on any date in CloudTrail's own form (the fast path).
func FuzzHourOf(f *testing.F) {
	for _, s := range hourTimes {
		f.Add(s, uint16(2026), uint8(2), uint8(31), uint8(7), uint8(58), uint8(43))
	}
	f.Fuzz(func(t *testing.T, s string, y uint16, mo, d, h, mi, sec uint8) {
		checkHourOf(t, s)
		ct := string([]byte{
			'0' + byte(y/1000%10), '0' + byte(y/100%10), '0' + byte(y/10%10), '0' + byte(y%10), '-',
			'0' + mo/10%10, '0' + mo%10, '-', '0' + d/10%10, '0' + d%10, 'T', '0' + h/10%10, '0' + h%10, ':',
			'0' + mi/10%10, '0' + mi%10, ':', '0' + sec/10%10, '0' + sec%10, 'Z'})
		checkHourOf(t, ct)
	})
}

// TestImpossibleDateIsOneMalformedRecord: through the log reader, a record dated 2026-02-31 is
// one malformed record, counted and skipped; the records around it are counted.
func TestImpossibleDateIsOneMalformedRecord(t *testing.T) {
	in := `{"Records":[{"eventTime":"2026-02-28T07:58:43Z","eventName":"A","recipientAccountId":"111122223333"},` +
		`{"eventTime":"2026-02-31T07:58:43Z","eventName":"B","recipientAccountId":"111122223333"},` +
		`{"eventTime":"2026-03-01 07:58:43","eventName":"C","recipientAccountId":"111122223333"}]}`
	lr, err := logfile.NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var p Parser
	var hours []string
	var malformed []int
	for {
		_, err := lr.NextFunc(p.Parse)
		var re *logfile.RecordError
		if errors.As(err, &re) {
			malformed = append(malformed, re.Index)
			continue
		}
		if err != nil {
			break
		}
		hours = append(hours, p.Record().Hour)
	}
	if strings.Join(hours, ",") != "2026-02-28T07,2026-03-01T07" || len(malformed) != 1 || malformed[0] != 1 {
		t.Errorf("hours %v, malformed %v; want 2026-02-28T07,2026-03-01T07 and [1]", hours, malformed)
	}
}

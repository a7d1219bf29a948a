package acceptance

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// root is the repository root, seen from this package.
var root = filepath.Join("..", "..")

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the functions once for the whole test binary.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "trailguard-acceptance-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		for _, fn := range []string{"logincheck", "rules", "tagenrich", "aggregate"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, fn), "./functions/"+fn)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = errors.Join(buildErr, errors.New(fn+": "+err.Error()+"\n"+string(out)))
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// result is what one function did with one record, as its -json output says.
type result struct {
	exit     int
	kinds    []string // alert kinds, in order
	eventIDs []string // event IDs of everything it printed about the record
	records  int      // aggregate: records counted
	changes  int      // tagenrich: change records
	times    []string // the event time it printed (alert event_time, change time, counter hour)
	stderr   string
}

// TestEveryFunctionAcceptsTheSameRecords is one table over the functions that read CloudTrail
// records: the same record, its eventTime in RFC 3339 or export form (with or without fraction)
// and with or without eventID, is accepted the same way by each: logincheck checks the sign-in,
// rules raise cloudtrail-logging-stopped in real time, tagenrich records the change, aggregate
// counts the record from a gzipped log file and its rules raise the same alert — and a record
// without eventID gets the same derived ID in every function.
//
// partitions is not in the table: it reads only the S3 object-created notification (bucket
// and key), never a CloudTrail record, so the record model cannot change what it does.
func TestEveryFunctionAcceptsTheSameRecords(t *testing.T) {
	bin := binaries(t)
	variants := []struct {
		name string
		edit func(detail map[string]any)
	}{
		{"as delivered", func(map[string]any) {}},
		{"fractional seconds", func(d map[string]any) { d["eventTime"] = strings.Replace(d["eventTime"].(string), "Z", ".250Z", 1) }},
		{"export form", func(d map[string]any) { d["eventTime"] = exportForm(d["eventTime"].(string), "") }},
		{"export form with fraction", func(d map[string]any) { d["eventTime"] = exportForm(d["eventTime"].(string), ".250000") }},
		{"no eventID", func(d map[string]any) { delete(d, "eventID") }},
		{"export form, no eventID", func(d map[string]any) {
			d["eventTime"] = exportForm(d["eventTime"].(string), "")
			delete(d, "eventID")
		}},
	}
	functions := []struct {
		name, sample string
		run          func(t *testing.T, dir string, event []byte) result
		check        func(t *testing.T, r result)
	}{
		{"logincheck", "logincheck/untrusted-ipv4.json", func(t *testing.T, dir string, event []byte) result {
			return runJSON(t, filepath.Join(bin, "logincheck"), dir, event, "-json")
		}, func(t *testing.T, r result) {
			if !slices.Equal(r.kinds, []string{"untrusted-source-ip"}) {
				t.Errorf("alert kinds %v, want [untrusted-source-ip]", r.kinds)
			}
		}},
		{"rules", "rules/trail-stopped.json", func(t *testing.T, dir string, event []byte) result {
			return runJSON(t, filepath.Join(bin, "rules"), dir, event, "-json")
		}, func(t *testing.T, r result) {
			if !slices.Contains(r.kinds, "cloudtrail-logging-stopped") {
				t.Errorf("alert kinds %v, want cloudtrail-logging-stopped in real time", r.kinds)
			}
		}},
		{"tagenrich", "rules/trail-stopped.json", func(t *testing.T, dir string, event []byte) result {
			return runJSON(t, filepath.Join(bin, "tagenrich"), dir, event, "-json")
		}, func(t *testing.T, r result) {
			if r.changes != 1 {
				t.Errorf("%d change records, want 1", r.changes)
			}
		}},
		{"aggregate", "rules/trail-stopped.json", func(t *testing.T, dir string, event []byte) result {
			// The record as a delivered log file holds it: gzipped, in Records.
			var ev struct {
				Detail json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal(event, &ev); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write([]byte(`{"Records":[` + string(ev.Detail) + `]}`))
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "111122223333_CloudTrail_us-east-1_20261120T0945Z_acceptance.json.gz")
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			return runJSON(t, filepath.Join(bin, "aggregate"), dir, nil, "-json", "-file", file)
		}, func(t *testing.T, r result) {
			if r.records != 1 {
				t.Errorf("%d records counted, want 1", r.records)
			}
			if !slices.Contains(r.kinds, "cloudtrail-logging-stopped") {
				t.Errorf("alert kinds %v, want the log file's rules to raise cloudtrail-logging-stopped", r.kinds)
			}
		}},
	}
	// derived[sample][variant] is the event ID the first function printed for a record without
	// eventID: every other function must print the same.
	derived := map[string]string{}
	for _, fn := range functions {
		for _, v := range variants {
			t.Run(fn.name+"/"+v.name, func(t *testing.T) {
				var ev map[string]any
				if err := json.Unmarshal(readSample(t, fn.sample), &ev); err != nil {
					t.Fatal(err)
				}
				d := ev["detail"].(map[string]any)
				wantID, _ := d["eventID"].(string)
				v.edit(d)
				_, hasID := d["eventID"]
				raw, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				r := fn.run(t, t.TempDir(), raw)
				if r.exit != 0 {
					t.Fatalf("exit %d, want 0; stderr:\n%s", r.exit, r.stderr)
				}
				fn.check(t, r)
				if len(r.eventIDs) == 0 {
					t.Fatal("printed no event ID")
				}
				for _, id := range r.eventIDs {
					switch {
					case hasID && id != wantID:
						t.Errorf("event ID %q, want the record's %q", id, wantID)
					case !hasID && !strings.HasPrefix(id, "derived-"):
						t.Errorf("event ID %q, want one derived from the record", id)
					case !hasID:
						key := fn.sample + "/" + v.name
						if prev, ok := derived[key]; ok && prev != id {
							t.Errorf("derived event ID %q, another function derived %q for the same record", id, prev)
						}
						derived[key] = id
					}
				}
				for _, tm := range r.times {
					if !strings.HasPrefix(tm, "2026-11-20T") {
						t.Errorf("event time %q: the record's time was not read as UTC 2026-11-20", tm)
					}
				}
			})
		}
	}
}

// exportForm turns "2026-11-20T09:45:19Z" into "2026-11-20 09:45:19" + frac, the form exports
// from Athena and CloudTrail Lake write (UTC, no zone).
func exportForm(rfc3339, frac string) string {
	return strings.Replace(strings.TrimSuffix(rfc3339, "Z"), "T", " ", 1) + frac
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runJSON runs a function binary in local mode, from the repository root, with -json (the
// event, if any, as a file in dir) and reads its output lines: alerts (kind), change records (event_name), counter rows
// (hour) and aggregate's file summary (records).
func runJSON(t *testing.T, bin, dir string, event []byte, args ...string) result {
	t.Helper()
	if event != nil {
		file := filepath.Join(dir, "event.json")
		if err := os.WriteFile(file, event, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, file)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root // local defaults (events/tags.json…) are relative to the repository
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var r result
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run %s: %v", bin, err)
		}
		r.exit = ee.ExitCode()
	}
	r.stderr = stderr.String()
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("stdout line is not JSON: %q", line)
		}
		str := func(k string) string { s, _ := obj[k].(string); return s }
		switch {
		case str("kind") != "":
			r.kinds = append(r.kinds, str("kind"))
			r.eventIDs = append(r.eventIDs, str("event_id"))
			r.times = append(r.times, str("event_time"))
		case str("hour") != "": // a counter row (it has event_name and event_source too)
			r.times = append(r.times, str("hour"))
		case str("event_name") != "" && str("event_source") != "":
			r.changes++
			r.eventIDs = append(r.eventIDs, str("event_id"))
			r.times = append(r.times, str("time"))
		case obj["records"] != nil:
			n, _ := obj["records"].(float64)
			r.records += int(n)
		}
	}
	return r
}

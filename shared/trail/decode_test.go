package trail

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

func TestDecodeEventErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, in, wantField string
	}{
		{"detail missing", `{"source":"aws.signin","detail-type":"x"}`, "detail"},
		{"detail is a string", `{"source":"aws.signin","detail-type":"x","detail":"oops"}`, "detail"},
		{"source missing", `{"detail-type":"x","detail":{}}`, "source"},
		{"detail-type missing", `{"source":"aws.signin","detail":{}}`, "detail-type"},
		{"source mistyped", `{"source":5,"detail-type":"x","detail":{}}`, "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeEvent([]byte(tt.in))
			if err == nil {
				t.Fatal("decoded, want an error")
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v is not ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %q does not name %s", err, tt.wantField)
			}
		})
	}
}

func TestDecodeEventNotJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,2]`, `nul`} {
		if _, err := DecodeEvent([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeEvent(%q) = %v, want ErrMalformed", in, err)
		}
	}
}

func TestRequire(t *testing.T) {
	rec := &Record{EventID: "e1", EventName: "ConsoleLogin", EventTime: "2026-11-21T10:02:03Z", UserIdentity: UserIdentity{Type: "Root"}}
	tests := []struct {
		name      string
		rec       Record
		fields    []string
		wantField string
	}{
		{"all present", *rec, []string{"eventID", "eventName", "eventTime", "userIdentity.type"}, ""},
		{"bad time", Record{EventTime: "2026-11-21 10:02"}, []string{"eventTime"}, "detail.eventTime"},
		{"missing identity type", Record{}, []string{"userIdentity.type"}, "detail.userIdentity.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rec.Require("detail", tt.fields...)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Require: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField {
				t.Fatalf("Require = %v, want FieldError for %s", err, tt.wantField)
			}
		})
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		in             string
		value, present bool
		wantErr        bool
	}{
		{`true`, true, true, false}, {`false`, false, true, false}, {`"true"`, true, true, false},
		{`"False"`, false, true, false}, {`null`, false, false, false}, {`"yes"`, false, false, true}, {`1`, false, false, true},
	}
	for _, tt := range tests {
		var b Bool
		err := json.Unmarshal([]byte(tt.in), &b)
		if (err != nil) != tt.wantErr || b.Value != tt.value || b.Present != tt.present {
			t.Errorf("Unmarshal(%s) = %+v, %v", tt.in, b, err)
		}
	}
}

// TestCorpusDecodes: every record of the real-shape corpus decodes, bare and wrapped in an
// EventBridge envelope, and the fields the functions read come out as in the JSON.
func TestCorpusDecodes(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "corpus", "cloudtrail-records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var line struct {
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		rec, err := DecodeRecord(line.Record)
		if err != nil {
			t.Errorf("line %d: DecodeRecord: %v", n, err)
			continue
		}
		var generic map[string]any
		if err := json.Unmarshal(line.Record, &generic); err != nil {
			t.Fatal(err)
		}
		if len(rec.OddFields) != 0 {
			t.Errorf("line %d: odd fields %v in a real record", n, rec.OddFields)
		}
		if got, want := rec.EventName, generic["eventName"]; want != nil && got != want {
			t.Errorf("line %d: eventName %q, want %v", n, got, want)
		}
		env := `{"source":"aws.test","detail-type":"AWS API Call via CloudTrail","detail":` + string(line.Record) + `}`
		if _, err := DecodeEvent([]byte(env)); err != nil {
			t.Errorf("line %d: DecodeEvent: %v", n, err)
		}
		if _, err := rec.SignIn(); err != nil {
			t.Errorf("line %d: SignIn: %v", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 453 {
		t.Errorf("read %d records, want 453", n)
	}
}

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestLeanDecodeAgreesWithFullDecode: on every sample event and every corpus record (wrapped
// as EventBridge delivers it), the checker's one-pass decode yields the same sign-in facts and
// the same alerts as trail.DecodeEvent followed by Record.SignIn, and fails where they fail.
func TestLeanDecodeAgreesWithFullDecode(t *testing.T) {
	var events [][]byte
	samples, _ := filepath.Glob(filepath.Join("..", "..", "events", "logincheck", "*.json"))
	for _, f := range samples {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, b)
	}
	f, err := os.Open(filepath.Join("..", "..", "testdata", "corpus", "cloudtrail-records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c struct {
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		events = append(events, []byte(`{"source":"aws.signin","detail-type":"AWS Console Sign In via CloudTrail","detail":`+string(c.Record)+`}`))
	}
	// Mistyped sign-in fields: both must fail, naming the field.
	events = append(events,
		[]byte(`{"source":"aws.signin","detail-type":"x","detail":{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":1}}}`),
		[]byte(`{"source":"aws.signin","detail-type":"x","detail":{"eventName":"UserAuthentication","serviceEventDetails":{"UserAuthentication":{"x":1}}}}`),
		[]byte(`{"source":"aws.signin","detail-type":"x","detail":{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":false}}}`))

	h := newHandler(t, nil)
	for i, raw := range events {
		lean, leanSI, leanErr := decodeSignIn(raw)
		var fullSI trail.SignIn
		full, fullErr := trail.DecodeEvent(raw)
		if fullErr == nil {
			fullSI, fullErr = full.Detail.SignIn()
		}
		if (leanErr == nil) != (fullErr == nil) {
			t.Errorf("event %d: lean decode error %v, full decode error %v", i, leanErr, fullErr)
			continue
		}
		if fullErr != nil {
			if field := fieldOf(fullErr); field != "" && !strings.Contains(leanErr.Error(), field) {
				t.Errorf("event %d: lean error %q does not name %s", i, leanErr, field)
			}
			continue
		}
		if leanSI != fullSI {
			t.Errorf("event %d: sign-in %+v, full decode %+v", i, leanSI, fullSI)
		}
		if got, want := h.Check(lean, leanSI), h.Check(full.Detail, fullSI); !reflect.DeepEqual(got, want) {
			t.Errorf("event %d: alerts differ:\n lean %+v\n full %+v", i, got, want)
		}
	}
	if len(events) < 460 {
		t.Fatalf("only %d events compared", len(events))
	}
}

func fieldOf(err error) string {
	s := err.Error()
	if i := strings.Index(s, "field "); i >= 0 {
		rest := s[i+len("field "):]
		if j := strings.Index(rest, ":"); j >= 0 {
			return rest[:j]
		}
	}
	return ""
}

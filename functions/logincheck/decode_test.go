package main

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestLeanFieldsAreTrailFields: every JSON name of the lean sign-in structs is a field of
// trail's record model with the same Go type (inside a raw payload, the payload's own keys are
// the service's and may be typed here), so the fast path names nothing trail does not.
func TestLeanFieldsAreTrailFields(t *testing.T) {
	walk := func(typ reflect.Type, prefix string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			want, ok := trail.FieldType(path)
			if !ok {
				t.Errorf("lean field %s (%s) is not a trail record field", path, f.Name)
				continue
			}
			if trail.IsRawPayload(path) {
				continue // a raw payload: the lean decoder may type its inside
			}
			if f.Type != want {
				t.Errorf("lean field %s is %v, trail's is %v", path, f.Type, want)
			}
		}
	}
	walk(reflect.TypeFor[signInRecord](), "")
	// The envelope's names are trail.Event's.
	ev := reflect.TypeFor[trail.Event]()
	for _, f := range reflect.VisibleFields(reflect.TypeFor[signInEvent]()) {
		var found bool
		for _, g := range reflect.VisibleFields(ev) {
			found = found || g.Tag.Get("json") == f.Tag.Get("json")
		}
		if !found {
			t.Errorf("lean envelope field %s is not a trail.Event field", f.Tag.Get("json"))
		}
	}
}

// TestLeanDecodeAgreesWithFullDecode: on every sample event and every corpus record (wrapped
// as EventBridge delivers it), the checker's one-pass decode yields the same sign-in facts, the
// same event ID (derived when missing) and the same alerts as trail's tolerant decode.
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
	h := newHandler(t, nil)
	lean := 0
	for i, raw := range events {
		fast, ok := decodeLean(raw)
		full, fullErr := decodeFull(raw)
		if !ok {
			continue
		}
		lean++
		if fullErr != nil {
			t.Errorf("event %d: lean decode passed, full decode failed: %v", i, fullErr)
			continue
		}
		if fast.si != full.si || fast.rec.EventID != full.rec.EventID || !slices.Equal(fast.unreadable, full.unreadable) {
			t.Errorf("event %d: lean %+v %s %q\n full %+v %s %q", i, fast.si, fast.rec.EventID, fast.unreadable, full.si, full.rec.EventID, full.unreadable)
		}
		if got, want := h.Check(fast.rec, fast.si, fast.unreadable...), h.Check(full.rec, full.si, full.unreadable...); !reflect.DeepEqual(got, want) {
			t.Errorf("event %d: alerts differ:\n lean %+v\n full %+v", i, got, want)
		}
	}
	if lean < 460 {
		t.Fatalf("only %d events compared", lean)
	}
}

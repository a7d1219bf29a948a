package counters

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestTallyCountsPerDistinctKey(t *testing.T) {
	a := Key{"2026-11-20T07", "111122223333", "arn:aws:iam::111122223333:user/alice", "203.0.113.9", "GetObject", "AWS::S3::Object", "", "AwsApiCall", "", "", ""}
	b := a
	b.ErrorCode = "AccessDenied"
	// Values that would collide if the parts were simply joined.
	c1 := Key{Hour: "h", Account: "1", Principal: "a\x00b", SourceIP: "c"}
	c2 := Key{Hour: "h", Account: "1", Principal: "a", SourceIP: "\x00b\x00c"}
	bad := a
	bad.Principal = "arn:aws:iam::111122223333:user/\xffx"
	repaired := a
	repaired.Principal = "arn:aws:iam::111122223333:user/\uFFFDx"

	tl := NewTally()
	for _, k := range []Key{a, b, a, c1, c2, a, bad, repaired, bad} {
		tl.Add(&k)
	}
	got := map[Key]int64{}
	for _, r := range tl.Rows() {
		got[r.Key] = r.Count
	}
	want := map[Key]int64{a: 3, b: 1, c1: 1, c2: 1, repaired: 3}
	if len(got) != len(want) || tl.Len() != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("count of %+v = %d, want %d", k, got[k], n)
		}
	}
}

func TestTallyCopiesViews(t *testing.T) {
	tok := []byte(`"GetObject"`)
	k := Key{Hour: "h", Account: "1", EventName: text(tok)} // a view of tok, as the parser gives
	tl := NewTally()
	tl.Add(&k)
	copy(tok[1:], "PutObject")
	if k.EventName != "PutObject" {
		t.Fatal("test setup: text did not return a view")
	}
	if rows := tl.Rows(); rows[0].EventName != "GetObject" {
		t.Errorf("tally kept a view of the buffer: %q", rows[0].EventName)
	}
}

func TestRules(t *testing.T) {
	tl := NewTally()
	tl.AddRule("failed-sign-ins", "h", "203.0.113.9", "111122223333")
	tl.AddRule("failed-sign-ins", "h", "203.0.113.9", "444455556666")
	tl.AddRule("access-denied", "h", "arn:x", "111122223333")
	tl.AddRule("failed-sign-ins", "h", "bad\xff", "1")
	tl.AddRule("failed-sign-ins", "h", "bad\uFFFD", "1")
	got := tl.Rules()
	want := []RuleCount{
		{"access-denied", "h", "arn:x", "111122223333", 1},
		{"failed-sign-ins", "h", "203.0.113.9", "111122223333", 2},
		{"failed-sign-ins", "h", "bad\uFFFD", "1", 2},
	}
	if len(got) != len(want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestKeysAreUniqueAndBounded(t *testing.T) {
	parts := [][]string{
		{"a#b", "c"}, {"a", "b#c"}, {"a%23b", "c"}, {"", "x"}, {"-", "x"}, {"%2D", "x"},
		{strings.Repeat("é", 600), "x"}, {strings.Repeat("é", 600), "y"},
	}
	seen := map[string]int{}
	for i, p := range parts {
		k := joinKey(maxSK, p...)
		if len(k) > maxSK || k == "" || !strings.Contains(k, "#") && len(p) > 1 {
			t.Errorf("key %q of %q: length %d", k, p, len(k))
		}
		if !utf8Valid(k) {
			t.Errorf("key of %q is not UTF-8", p)
		}
		if j, dup := seen[k]; dup {
			t.Errorf("parts %q and %q give one key %q", parts[j], p, k)
		}
		seen[k] = i
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestFileMarker(t *testing.T) {
	f := FileID{Bucket: "trail-bucket", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/f.json.gz", ETag: "d41d8cd98f00b204e9800998ecf8427e"}
	quoted := f
	quoted.ETag = `"` + f.ETag + `"` // as GetObject returns it
	other := f
	other.ETag = "0cc175b9c0f1b6a831c399e269772661"
	if f.Marker() != quoted.Marker() {
		t.Error("quoted ETag changes the marker")
	}
	if f.Marker() == other.Marker() {
		t.Error("another ETag (other content) gives the same marker")
	}
	part := f
	part.Part = 1
	if part.Marker() == f.Marker() {
		t.Error("a file's second part has the marker of the whole file")
	}
	if m := f.Marker(); len(m) != 22 || !strings.HasPrefix(m, "f_") {
		t.Errorf("marker %q", m)
	}
}

// TestMemoryExactlyOnce: the local store has the table's exactly-once rule.
func TestMemoryExactlyOnce(t *testing.T) {
	ctx := context.Background()
	k := Key{"2026-11-20T07", "1", "p", "203.0.113.9", "ConsoleLogin", "", "", "AwsConsoleSignIn", "", "", ""}
	file := func(n int) *Tally {
		tl := NewTally()
		for range n {
			tl.Add(&k)
			tl.AddRule("failed-sign-ins", k.Hour, k.SourceIP, k.Account)
		}
		return tl
	}
	var m Memory
	f1, f2 := FileID{Bucket: "b", Key: "k1", ETag: "e1"}, FileID{Bucket: "b", Key: "k2", ETag: "e2"}
	steps := []struct {
		file          FileID
		n             int
		written, done int
		before, after int64
	}{
		{f1, 3, 3, 0, 0, 3},
		{f1, 3, 0, 3, 0, 3}, // redelivered: same totals, nothing written
		{f2, 4, 3, 0, 3, 7},
		{f1, 3, 0, 3, 0, 3},
	}
	for i, s := range steps {
		got, err := m.Apply(ctx, s.file, file(s.n))
		if err != nil {
			t.Fatal(err)
		}
		r := got.Rules[0]
		if got.Written != s.written || got.Already != s.done || r.Before != s.before || r.After != s.after {
			t.Errorf("step %d: %+v, want written %d already %d before %d after %d", i, got, s.written, s.done, s.before, s.after)
		}
	}
	if it := m.items[[2]string{activityPK("1", k.Hour), activitySK(&k, true)}]; it.count != 7 {
		t.Errorf("activity count %d, want 7", it.count)
	}
}

// TestTallyHashCollision: keys with the same 64-bit hash (forced here: a real collision
// practically never happens) are still counted apart, however many share it.
func TestTallyHashCollision(t *testing.T) {
	tl := NewTally()
	tl.sum = func([]byte) uint64 { return 42 }
	want := map[Key]int64{}
	for i := range 3000 { // enough counters to grow the table twice
		k := Key{Hour: "2026-11-20T08", Account: "1", Principal: fmt.Sprint("p", i%1500), EventName: "GetObject"}
		tl.Add(&k)
		want[k]++
	}
	rows := tl.Rows()
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		if r.Count != want[r.Key] || r.Count != 2 {
			t.Errorf("%+v: count %d, want 2", r.Key, r.Count)
		}
	}
}

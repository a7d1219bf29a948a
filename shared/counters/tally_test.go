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

// TestTallyChunks: keys stored across many chunks, and keys longer than a chunk (each in a
// chunk of its own), are counted and read back exactly; the strings of rows read half-way
// stay unchanged while more keys are stored; and no chunk outgrows its place.
func TestTallyChunks(t *testing.T) {
	short := func(i int) Key {
		return Key{Hour: "2026-11-20T08", Account: "111122223333", Principal: fmt.Sprint("arn:aws:iam::111122223333:user/u", i),
			SourceIP: fmt.Sprint("198.51.100.", i%256), EventName: "GetObject", EventType: "AwsApiCall", Region: "us-east-1"}
	}
	// sized is a key whose stored form (length prefix and encoding) takes exactly size bytes.
	sized := func(size int, fill string) Key {
		for p := size; p > 0; p-- {
			k := Key{Hour: "2026-11-20T08", Account: "111122223333", Principal: strings.Repeat(fill, p)}
			if b := new(Tally).encode(&k); uvarintLen(len(b))+len(b) == size {
				return k
			}
		}
		t.Fatalf("no key of %d bytes", size)
		return Key{}
	}
	type add struct {
		key Key
		n   int64
	}
	many := func(n int, passes int) []add { // n keys, key i added 1 + i%passes times, in passes
		var adds []add
		for p := range passes {
			for i := range n {
				if i%passes >= p {
					adds = append(adds, add{short(i), 1})
				}
			}
		}
		return adds
	}
	cases := []struct {
		name   string
		adds   []add
		stored func(Key) Key // the key an added one is counted under, when not itself
	}{
		{"many short keys", many(40_000, 3), nil},
		{"a long key first", append(append([]add{{sized(chunkSize+100, "a"), 1}}, many(2_000, 1)...), add{sized(chunkSize+100, "a"), 2}), nil},
		{"long keys between short ones", func() []add {
			var adds []add
			for i := range 6_000 {
				adds = append(adds, add{short(i), 1})
				if i%1_000 == 999 {
					adds = append(adds, add{sized(chunkSize+1+i, "b"), 5}, add{short(i), 1})
				}
			}
			return append(adds, many(6_000, 2)...)
		}(), nil},
		{"keys of a chunk's size and either side", []add{
			{short(1), 1}, {sized(chunkSize-1, "c"), 1}, {sized(chunkSize, "d"), 1}, {sized(chunkSize+1, "e"), 1},
			{short(2), 1}, {sized(chunkSize, "d"), 3}, {sized(chunkSize-1, "c"), 1}, {short(1), 1},
		}, nil},
		{"non-ASCII values and long lengths", func() []add {
			var adds []add
			for i := range 3_000 {
				k := short(i)
				k.Principal = strings.Repeat("é", 100+i%50) // two-byte length prefixes, bytes >= 0x80
				adds = append(adds, add{k, int64(i%4 + 1)})
				if i%7 == 0 {
					adds = append(adds, add{k, 1})
				}
			}
			return adds
		}(), nil},
		{"invalid UTF-8, repaired", func() []add {
			var adds []add
			for i := range 2_000 {
				bad, good := short(i), short(i)
				tail := strings.Repeat("x", i%200) // some values of 128 bytes or more
				bad.Principal += "\xff" + tail
				good.Principal += "\uFFFD" + tail
				adds = append(adds, add{bad, 1}, add{good, 2}, add{bad, 3})
			}
			return adds
		}(), func(k Key) Key {
			k.Principal = strings.ReplaceAll(k.Principal, "\xff", "\uFFFD")
			return k
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl := NewTally()
			want := map[Key]int64{}
			var early []Row // read half-way: views of the tally's chunks
			var clones []Key
			for i, a := range c.adds {
				if a.n == 1 {
					tl.Add(&a.key)
				} else {
					tl.addCount(&a.key, a.n)
				}
				if c.stored != nil {
					a.key = c.stored(a.key)
				}
				want[a.key] += a.n
				if i == len(c.adds)/2 {
					early = tl.Rows()
					for _, r := range early {
						k := r.Key
						for _, p := range k.fields() {
							*p = strings.Clone(*p)
						}
						clones = append(clones, k)
					}
				}
			}
			rows := tl.Rows()
			if len(rows) != len(want) || tl.Len() != len(want) {
				t.Fatalf("%d rows, Len %d, want %d", len(rows), tl.Len(), len(want))
			}
			for i, r := range rows {
				if r.Count != want[r.Key] {
					t.Errorf("%.80v: count %d, want %d", r.Key, r.Count, want[r.Key])
				}
				if i > 0 && compareKeys(&rows[i-1].Key, &r.Key) >= 0 {
					t.Errorf("row %d is not after row %d", i, i-1)
				}
			}
			for i, r := range early {
				if r.Key != clones[i] {
					t.Errorf("a row read half-way changed: %.80v, was %.80v", r.Key, clones[i])
				}
			}
			if len(tl.chunks) > maxChunks {
				t.Errorf("%d chunks", len(tl.chunks))
			}
			for i, ch := range tl.chunks {
				if cap(ch) > chunkSize && len(ch) != cap(ch) { // only a long key's own chunk is longer
					t.Errorf("chunk %d: %d bytes of %d", i, len(ch), cap(ch))
				}
			}
		})
	}
}

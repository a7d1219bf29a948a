package trailgen

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/trail"
)

func TestBenchIsDeterministicValidAndRealisticallySized(t *testing.T) {
	const n = 2000
	a, err := io.ReadAll(Bench(7, n))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(Bench(7, n))
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different files")
	}
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal(a, &file); err != nil {
		t.Fatalf("generated file is not JSON: %v", err)
	}
	if len(file.Records) != n {
		t.Fatalf("got %d records, want %d", len(file.Records), n)
	}
	types := map[string]int{}
	for i, raw := range file.Records {
		rec, err := trail.DecodeRecord(raw)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if err := rec.Require("", "eventTime", "eventName", "eventSource", "eventType", "sourceIPAddress", "userIdentity.type"); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		// Usable by every function, exactly as generated: trail's model finds nothing odd.
		if err := rec.Check(); err != nil || len(rec.OddFields) != 0 || rec.EventIDDerived {
			t.Fatalf("record %d: Check %v, odd fields %v, derived ID %v", i, err, rec.OddFields, rec.EventIDDerived)
		}
		types[rec.UserIdentity.Type]++
	}
	for _, typ := range []string{"Root", "IAMUser", "AssumedRole", "AWSService", "IdentityCenterUser"} {
		if types[typ] == 0 {
			t.Errorf("no %s identity among %d records: %v", typ, n, types)
		}
	}
	if avg := len(a) / n; avg < 1200 || avg > 2200 {
		t.Errorf("average record size %d bytes, want about 1.5–2 KB", avg)
	}
}

func TestAppendRendersSpec(t *testing.T) {
	g := New(1, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 2, 10, 8)
	for i, id := range g.Identities() {
		s := Spec{Time: time.Date(2026, 11, 20, 7, 58, 43, 0, time.UTC), Account: g.Accounts()[0], Identity: id,
			SourceIP: MakeSource(i), EventSource: "s3.amazonaws.com", EventName: "GetObject", EventType: "AwsApiCall",
			ErrorCode: "AccessDenied", ResourceType: "AWS::S3::Object"}
		rec, err := trail.DecodeRecord(g.Append(nil, s))
		if err != nil {
			t.Fatalf("%s: %v", id.Type, err)
		}
		if err := rec.Check(); err != nil || len(rec.OddFields) != 0 {
			t.Errorf("%s identity: Check %v, odd fields %v", id.Type, err, rec.OddFields)
		}
		got := []string{rec.UserIdentity.Principal(), rec.Account(), rec.SourceIPAddress, rec.EventName, rec.ErrorCode, rec.EventType, rec.Resources[0].Type, rec.EventTime}
		want := []string{id.Principal, s.Account, s.SourceIP, "GetObject", "AccessDenied", "AwsApiCall", "AWS::S3::Object", "2026-11-20T07:58:43Z"}
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("%s identity: field %d = %q, want %q", id.Type, j, got[j], want[j])
			}
		}
	}
}

// TestHighCardinalityShare: about 40 % of HighCardinality's records open a counter of their
// own (distinct counter keys over records, at the benchmarks' size), and Bench, without fresh
// addresses, is far below (about 14 %).
func TestHighCardinalityShare(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 400,000 records")
	}
	share := func(r io.Reader) float64 {
		lr, err := logfile.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for {
			raw, err := lr.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			rec, err := trail.DecodeRecord(raw)
			if err != nil {
				t.Fatal(err)
			}
			rt := ""
			if len(rec.Resources) > 0 {
				rt = rec.Resources[0].Type
			}
			keys[strings.Join([]string{rec.EventTime[:13], rec.Account(), rec.UserIdentity.Principal(), rec.SourceIPAddress,
				rec.EventName, rt, rec.ErrorCode, rec.EventType}, "\x00")] = true
		}
		return float64(len(keys)) / float64(lr.Records())
	}
	if got := share(HighCardinality(1, BenchRecords)); got < 0.38 || got > 0.42 {
		t.Errorf("high-cardinality file: %.3f of records are distinct counters, want about %.2f", got, HighCardinalityShare)
	}
	if got := share(Bench(1, BenchRecords)); got > 0.2 {
		t.Errorf("bench file: %.3f of records are distinct counters, want far fewer than the high-cardinality file", got)
	}
}

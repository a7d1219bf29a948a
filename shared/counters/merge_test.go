package counters

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/klauspost/compress/flate"
)

// TestReadStagedLayouts: a stage reads back its counters whole, and a stage written before
// region, event source and cloud joined the key (six values, no "v") still reads, without them:
// an account-hour staged across the deployment loses no count.
func TestReadStagedLayouts(t *testing.T) {
	g := group{"111122223333", "2026-11-20T08"}
	k := Key{Hour: g.hour, Account: g.account, Principal: "arn:aws:iam::111122223333:user/alice", SourceIP: "203.0.113.9",
		EventName: "GetObject", ResourceType: "AWS::S3::Object", EventType: "AwsApiCall", Region: "eu-west-1",
		EventSource: "s3.amazonaws.com"}
	flated := func(raw []byte) []byte {
		var z bytes.Buffer
		zw, _ := flate.NewWriter(&z, flate.BestSpeed)
		zw.Write(raw)
		zw.Close()
		return z.Bytes()
	}
	var cur bytes.Buffer
	appendStaged(&cur, &k, 7)
	var old bytes.Buffer // the six-value layout
	var tmp [binary.MaxVarintLen64]byte
	for _, v := range []string{k.Principal, k.SourceIP, k.EventName, k.ResourceType, k.ErrorCode, k.EventType} {
		old.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(v)))])
		old.WriteString(v)
	}
	old.Write(tmp[:binary.PutUvarint(tmp[:], 5)])
	oldKey := k
	oldKey.Region, oldKey.EventSource = "", ""
	for _, tt := range []struct {
		name    string
		blob    []byte
		version int
		want    Row
	}{
		{"current", flated(cur.Bytes()), stageVersion, Row{k, 7}},
		{"six values, before v", flated(old.Bytes()), 0, Row{oldKey, 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tl := NewTally()
			if err := readStaged(tl, g, tt.blob, tt.version); err != nil {
				t.Fatal(err)
			}
			if rows := tl.Rows(); len(rows) != 1 || rows[0] != tt.want {
				t.Errorf("got %+v, want %+v", rows, tt.want)
			}
		})
	}
	tl := NewTally()
	if err := readStaged(tl, g, flated(cur.Bytes()[:cur.Len()-3]), stageVersion); err == nil {
		t.Error("a truncated stage read without error")
	}
}

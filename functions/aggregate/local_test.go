package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/objectevent"
)

// TestFileJSONOutput: -file on a plain JSON-lines file with a malformed line prints one row
// per counter with the documented keys, one summary line, and succeeds.
func TestFileJSONOutput(t *testing.T) {
	lines := []string{
		`{"eventTime":"2026-11-20T08:01:00Z","eventName":"GetObject","eventType":"AwsApiCall","sourceIPAddress":"2001:db8::7","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"resources":[{"type":"AWS::S3::Object"}]}`,
		`{"eventTime":"2026-11-20T08:02:00Z","eventName":"GetObject","eventType":"AwsApiCall","sourceIPAddress":"2001:db8::7","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"resources":[{"type":"AWS::S3::Object"}]}`,
		`{"eventTime":"2026-11-20T08:03:00Z","eventName":"GetObject",`,
		`{"eventTime":"2026-11-20T09:00:00Z","eventName":"Decrypt","eventType":"AwsApiCall","sourceIPAddress":"AWS Internal","errorCode":"AccessDenied","recipientAccountId":"111122223333","userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"}}`,
	}
	path := filepath.Join(t.TempDir(), "records.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, _, _ := newHandler(t)
	var out, stderr bytes.Buffer
	h.Report = (&printer{W: &out, JSON: true}).Print
	if code := aggregateFile(context.Background(), h, h.Log, path, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var objs []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %s", sc.Text())
		}
		objs = append(objs, m)
	}
	if len(objs) != 3 {
		t.Fatalf("%d lines, want 2 counters and a summary:\n%s", len(objs), out.String())
	}
	rowKeys := []string{"account", "cloud", "count", "error_code", "event_name", "event_source", "event_type", "hour", "principal", "region", "resource_type", "source_ip"}
	for _, row := range objs[:2] {
		var keys []string
		for k := range row {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, rowKeys) {
			t.Errorf("row keys %v, want %v", keys, rowKeys)
		}
	}
	if objs[0]["count"] != float64(2) || objs[0]["hour"] != "2026-11-20T08" || objs[0]["principal"] != "arn:aws:iam::111122223333:user/alice" ||
		objs[1]["principal"] != "lambda.amazonaws.com" || objs[1]["error_code"] != "AccessDenied" {
		t.Errorf("rows %v", objs[:2])
	}
	sum := objs[2]
	info, _ := os.Stat(path)
	if sum["records"] != float64(4) || sum["malformed"] != float64(1) || sum["bytes"] != float64(info.Size()) {
		t.Errorf("summary %v, want 4 records, 1 malformed, %d bytes", sum, info.Size())
	}
}

func TestFileFailures(t *testing.T) {
	truncated := filepath.Join(sampleDir, filepath.FromSlash(sampleTruncated))
	for name, path := range map[string]string{"truncated": truncated, "missing": filepath.Join(t.TempDir(), "nope.json.gz")} {
		t.Run(name, func(t *testing.T) {
			h, _, rep := newHandler(t)
			var stderr bytes.Buffer
			if code := aggregateFile(context.Background(), h, h.Log, path, &stderr); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if stderr.Len() == 0 || len(rep.sums) != 0 {
				t.Errorf("stderr %q, %d files reported", stderr.String(), len(rep.sums))
			}
		})
	}
}

func TestTextOutputListsTheBusiest(t *testing.T) {
	h, _, _ := newHandler(t)
	var out bytes.Buffer
	h.Report = (&printer{W: &out}).Print
	if _, err := h.Handle(context.Background(), localtest.Event(t, "aggregate", "eventbridge-object-created.json")); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	// The CI role's 12 denied CreateUser calls are in four regions: four counters, 4 the busiest.
	for _, want := range []string{"46 records (1 malformed), 7926 bytes, 36 counters", "    4  2026-11-20T08  111122223333  arn:aws:sts::111122223333:assumed-role/deploy-pipeline/codebuild-7  from 198.51.100.23  CreateUser",
		"… 28 more counters"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// fakeS3 answers GetObject from a map, as S3 does for If-Match.
type fakeS3 struct {
	objects map[string]string // key → content
	etags   map[string]string // key → ETag as S3 returns it (quoted)
	err     error
	in      *s3.GetObjectInput
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.in = in
	if f.err != nil {
		return nil, f.err
	}
	body, ok := f.objects[*in.Key]
	if !ok {
		return nil, &types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(body)), ETag: aws.String(f.etags[*in.Key])}, nil
}

func TestS3Objects(t *testing.T) {
	s3c := &fakeS3{objects: map[string]string{"k": "data"}, etags: map[string]string{"k": `"abc"`}}
	objs := &s3Objects{Client: s3c}
	ctx := context.Background()
	rc, id, err := objs.Open(ctx, objectevent.Object{Bucket: "b", Key: "k", ETag: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if id.Bucket != "b" || id.Key != "k" || id.ETag != "abc" || aws.ToString(s3c.in.IfMatch) != `"abc"` {
		t.Errorf("identity %+v, If-Match %q", id, aws.ToString(s3c.in.IfMatch))
	}
	if _, id, err := objs.Open(ctx, objectevent.Object{Bucket: "b", Key: "k"}); err != nil || id.ETag != "abc" || s3c.in.IfMatch != nil {
		t.Errorf("without an event ETag: identity %+v, error %v, If-Match %v", id, err, s3c.in.IfMatch)
	}
	gone := []struct {
		name string
		obj  objectevent.Object
		err  error
	}{
		{"deleted", objectevent.Object{Bucket: "b", Key: "missing", ETag: "abc"}, nil},
		{"replaced (If-Match refused)", objectevent.Object{Bucket: "b", Key: "k", ETag: "old"}, &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"}},
		{"replaced (If-Match ignored)", objectevent.Object{Bucket: "b", Key: "k", ETag: "old"}, nil},
	}
	for _, g := range gone {
		s3c.err = g.err
		if _, _, err := objs.Open(ctx, g.obj); !errors.Is(err, errGone) {
			t.Errorf("%s: error %v, want errGone", g.name, err)
		}
	}
	s3c.err = &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	if _, _, err := objs.Open(ctx, objectevent.Object{Bucket: "b", Key: "k"}); err == nil || errors.Is(err, errGone) {
		t.Errorf("access denied: error %v, want a failure to retry", err)
	}
}

func TestDirObjects(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "AWSLogs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "AWSLogs", "f.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := dirObjects{Dir: dir}
	rc, id, err := d.Open(context.Background(), objectevent.Object{Bucket: "b", Key: "AWSLogs/f.json"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	sum := md5.Sum([]byte("{}"))
	if string(b) != "{}" || id.ETag != hex.EncodeToString(sum[:]) {
		t.Errorf("read %q, ETag %s: want the content from the start and its MD5", b, id.ETag)
	}
	if _, _, err := d.Open(context.Background(), objectevent.Object{Bucket: "b", Key: "../etc/passwd"}); err == nil {
		t.Error("a key leaving the folder was opened")
	}
	if _, _, err := d.Open(context.Background(), objectevent.Object{Bucket: "b", Key: "AWSLogs/none.json"}); !errors.Is(err, errGone) {
		t.Errorf("missing file: error %v, want errGone", err)
	}
}

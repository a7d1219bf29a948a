package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
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

// deniedRunInstances is n CloudTrail records of the intern's ec2:RunInstances refused
// (Client.UnauthorizedOperation) from one address, a few seconds apart from 10:20:00 UTC, event
// IDs numbered from first: matches of unauthorized-api-call (threshold 10 in 10 minutes), all in
// its 10:20 window, as a JSON-lines log file.
func deniedRunInstances(t *testing.T, dir, name string, first, n int) string {
	t.Helper()
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, `{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEID1234567","arn":"arn:aws:iam::111122223333:user/intern","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY123456","userName":"intern"},`+
			`"eventTime":"2026-11-20T10:20:%02dZ","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.77",`+
			`"userAgent":"aws-cli/2.22.4 md/command#ec2.run-instances","errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation.",`+
			`"requestParameters":{"instanceType":"t3.micro"},"responseElements":null,"requestID":"0f5c1c38-6a4e-4d38-9d1b-4c8b2a6f%04d","eventID":"6b1f3d2e-8c4a-4e7b-9f0d-2a5c7e9b%04d",`+
			`"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`+"\n", i*3, i, i)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLogFileThresholdCountsLiveInTheState: with -state DIR the log-file rules' threshold
// counts are the state's (main picks localstate's RuleCounter), so local runs over one state
// add up: 6 denied calls in one run and 6 more in the next raise unauthorized-api-call in the
// second run, once. A file replayed in a second run adds nothing (its event IDs are counted
// already): 6 + the same 6 raise nothing, and 4 new denials then cross at 10, which shows the
// state held 6, not 12. Without -state each run counts on its own and nothing crosses.
func TestLogFileThresholdCountsLiveInTheState(t *testing.T) {
	bin := localtest.Build(t)
	env := []string{"AWS_LAMBDA_RUNTIME_API=", "COUNTERS_TABLE=", "ALERT_TOPIC_ARN=", "ALERT_STATE_TABLE=", "LOG_FILE_RULES=all"}
	type run struct {
		first, n  int // the denied calls of the run's file: event IDs first… first+n-1
		wantAlert int // unauthorized-api-call alerts this run prints
	}
	tests := []struct {
		name  string
		state bool
		runs  []run
	}{
		{"halves of the threshold in two runs", true, []run{{0, 6, 0}, {6, 6, 1}}},
		{"a file replayed does not count twice", true, []run{{0, 6, 0}, {0, 6, 0}, {6, 4, 1}}},
		{"without -state each run counts alone", false, []run{{0, 6, 0}, {6, 6, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			state := filepath.Join(dir, "state")
			for i, r := range tt.runs {
				// A replayed file is the same file, read again: same path, same content.
				path := deniedRunInstances(t, dir, fmt.Sprintf("denied-%d-%d.jsonl", r.first, r.n), r.first, r.n)
				args := []string{"-json", "-file", path}
				if tt.state {
					args = append([]string{"-state", state}, args...)
				}
				res := localtest.Run(t, bin, args, env, "")
				if res.Exit != 0 {
					t.Fatalf("run %d: exit %d\nstdout:\n%s\nstderr:\n%s", i+1, res.Exit, res.Stdout, res.Stderr)
				}
				alerts := 0
				for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
					var obj map[string]any
					if err := json.Unmarshal([]byte(line), &obj); err != nil {
						t.Fatalf("run %d: stdout line is not JSON: %s", i+1, line)
					}
					if obj["kind"] == "unauthorized-api-call" {
						alerts++
					}
				}
				if alerts != r.wantAlert {
					t.Errorf("run %d (denials %d…%d): %d unauthorized-api-call alerts, want %d\nstdout:\n%s",
						i+1, r.first, r.first+r.n-1, alerts, r.wantAlert, res.Stdout)
				}
			}
		})
	}
}

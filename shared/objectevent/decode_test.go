package objectevent

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/trail"
)

const (
	bucket = "aws-cloudtrail-logs-111122223333-3f2a1b9c"
	key1   = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/111122223333_CloudTrail_us-east-1_20240514T1015Z_Kq3vYj0pVd3rE8Xw.json.gz"
	key2   = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/111122223333_CloudTrail_us-east-1_20240514T1020Z_Zx81PqLr0TnW5sYe.json.gz"
	key3   = "AWSLogs/111122223333/CloudTrail/ap-southeast-2/2024/05/14/111122223333_CloudTrail_ap-southeast-2_20240514T1020Z_Hf2Ka9VbQe7RuMx1.json.gz"
	keyOrg = "AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/444455556666_CloudTrail_eu-west-1_20240514T1020Z_9hTzQw2LmNc4XbVa.json.gz"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The sample events in events/partitions decode to exactly the objects they announce.
func TestDecodeSampleEvents(t *testing.T) {
	obj1 := Object{Bucket: bucket, Key: key1, ETag: "4a3b0f1e7d2c9b8a6f5e4d3c2b1a0f9e", Size: 18734,
		Sequencer: "0066433A8F1B2C3D4E", EventTime: ts("2024-05-14T10:19:42.117Z"), Region: "us-east-1"}
	obj2 := Object{Bucket: bucket, Key: key2, ETag: "e1c0a9b8f7d6e5c4b3a2918f7e6d5c4b", Size: 20411,
		Sequencer: "0066433B1D2E3F4A5B", EventTime: ts("2024-05-14T10:24:31.870Z"), Region: "us-east-1"}
	obj3 := Object{Bucket: bucket, Key: key3, ETag: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", Size: 2210,
		Sequencer: "0066433B1E9F8A7B6C", EventTime: ts("2024-05-14T10:24:35.402Z"), Region: "ap-southeast-2"}
	objOrg := Object{Bucket: bucket, Key: keyOrg, ETag: "9b2cf535f27731c974343645a3985328", Size: 5312,
		Sequencer: "0066433B2A7C4E8F11", EventTime: ts("2024-05-14T10:24:06Z"), Region: "us-east-1"}

	type msg struct {
		id      string
		objects []Object
		skipped int
		errPath string // field named by Message.Err; "" for none
	}
	tests := []struct {
		file  string
		shape Shape
		msgs  []msg
	}{
		{"s3-notification.json", ShapeS3Notification, []msg{{objects: []Object{obj1}}}},
		{"eventbridge-object-created.json", ShapeEventBridge, []msg{{objects: []Object{objOrg}}}},
		{"sqs-s3-notification.json", ShapeSQS, []msg{
			{id: "0f9a0d72-5c3c-4a47-9f3b-7b0e0a3c1d11", skipped: 1},
			{id: "6d4b1c2e-8a1f-4e5b-b0c3-2f7d9e1a4b22", objects: []Object{obj1}},
			{id: "a1e7f3c9-2b4d-4f6a-8c0e-9d1b3a5c7e33", objects: []Object{obj2}},
			{id: "c3b5d7e9-4f6a-4b8c-9e0a-1b3d5f7a9c44", objects: []Object{obj3}},
		}},
		{"sqs-eventbridge.json", ShapeSQS, []msg{{id: "2e1424d4-f796-459a-8184-9c92662be6da", objects: []Object{objOrg}}}},
		{"digest-file.json", ShapeS3Notification, []msg{{objects: []Object{{
			Bucket: bucket, Key: "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/14/111122223333_CloudTrail-Digest_us-east-1_management-events_us-east-1_20240514T101500Z.json.gz",
			ETag: "7d5e3a1c9b0f2e4d6a8c1b3e5f7a9d0c", Size: 1523, Sequencer: "0066433A9C0D1E2F3A",
			EventTime: ts("2024-05-14T10:15:58.304Z"), Region: "us-east-1"}}}}},
		{"url-encoded-key.json", ShapeS3Notification, []msg{{objects: []Object{{
			Bucket: bucket, Key: "audit logs/env=prod/région-été/AWSLogs/111122223333/CloudTrail/eu-west-3/2024/05/14/111122223333_CloudTrail_eu-west-3_20240514T1030Z_Pq7Rs2Tu9Vw4Xy1Z.json.gz",
			ETag: "3f8e2d1c0b9a8f7e6d5c4b3a29180f7e", Size: 9127, Sequencer: "0066433B7A8B9C0D1E",
			EventTime: ts("2024-05-14T10:34:12.559Z"), Region: "eu-west-3"}}}}},
		{"malformed-sqs-one-body.json", ShapeSQS, []msg{
			{id: "b7c9e1f3-5a7b-4c9d-8e0f-2a4c6e8a0b55", objects: []Object{obj2}},
			{id: "d9e1f3a5-7b9c-4d1e-8f2a-3b5d7f9b1c66", errPath: "Records[1].body.Records[0].s3.object.key"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := Decode(localtest.Event(t, "partitions", tt.file))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if b.Shape != tt.shape {
				t.Errorf("shape %q, want %q", b.Shape, tt.shape)
			}
			if len(b.Messages) != len(tt.msgs) {
				t.Fatalf("%d messages, want %d", len(b.Messages), len(tt.msgs))
			}
			for i, want := range tt.msgs {
				got := b.Messages[i]
				if got.ID != want.id {
					t.Errorf("message %d: ID %q, want %q", i, got.ID, want.id)
				}
				if len(got.Skipped) != want.skipped {
					t.Errorf("message %d: skipped %q, want %d reasons", i, got.Skipped, want.skipped)
				}
				checkErrPath(t, fmt.Sprintf("message %d", i), got.Err, want.errPath)
				if len(got.Objects) != len(want.objects) {
					t.Fatalf("message %d: objects %+v, want %+v", i, got.Objects, want.objects)
				}
				for j := range want.objects {
					if !objectEqual(got.Objects[j], want.objects[j]) {
						t.Errorf("message %d object %d:\n got %+v\nwant %+v", i, j, got.Objects[j], want.objects[j])
					}
				}
			}
		})
	}
}

func objectEqual(a, b Object) bool {
	return a.Bucket == b.Bucket && a.Key == b.Key && a.ETag == b.ETag && a.Size == b.Size &&
		a.Sequencer == b.Sequencer && a.EventTime.Equal(b.EventTime) && a.Region == b.Region
}

// checkErrPath asserts that err names field (and is a malformed-input error), or is nil when
// field is empty.
func checkErrPath(t *testing.T, what string, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("%s: unexpected error %v", what, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: no error, want one naming %s", what, field)
		return
	}
	if !errors.Is(err, trail.ErrMalformed) {
		t.Errorf("%s: %v is not trail.ErrMalformed", what, err)
	}
	var fe *trail.FieldError
	if errors.As(err, &fe) {
		if fe.Field != field {
			t.Errorf("%s: error names field %q, want %q (%v)", what, fe.Field, field, err)
		}
	} else if !strings.Contains(err.Error(), field) {
		t.Errorf("%s: error %q does not name %q", what, err, field)
	}
}

// s3Notice, ebEvent and sqsBatch build minimal events of each shape around a raw
// (still encoded) key.
func s3Notice(rawKey string) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-05-14T10:19:42.117Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q},"object":{"key":%q,"size":7,"eTag":"e","sequencer":"01"}}}]}`, bucket, rawKey)
}

func ebEvent(rawKey string) string {
	return fmt.Sprintf(`{"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3","account":"111122223333","time":"2024-05-14T10:24:06Z","region":"us-east-1","resources":[],"detail":{"version":"0","bucket":{"name":%q},"object":{"key":%q,"size":7,"etag":"e","sequencer":"01"},"reason":"PutObject"}}`, bucket, rawKey)
}

func sqsBatch(bodies ...string) string {
	var recs []string
	for i, b := range bodies {
		q, _ := json.Marshal(b)
		recs = append(recs, fmt.Sprintf(`{"messageId":"m%d","receiptHandle":"r","body":%s,"attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:111122223333:q","awsRegion":"us-east-1"}`, i, q))
	}
	return `{"Records":[` + strings.Join(recs, ",") + `]}`
}

// Keys arrive form-encoded in every shape and come out as S3 stores them.
func TestDecodeKeys(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"plain", key1, key1},
		{"org trail", keyOrg, keyOrg},
		{"space as plus", "trail+logs/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz", "trail logs/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz"},
		{"encoded equals", "env%3Dprod/dt%3D2024051410/f.json.gz", "env=prod/dt=2024051410/f.json.gz"},
		{"lower-case escape", "env%3dprod/f.json.gz", "env=prod/f.json.gz"},
		{"literal plus", "c%2B%2B/f.json.gz", "c++/f.json.gz"},
		{"unicode escaped", "r%C3%A9gion-%C3%A9t%C3%A9/%E6%97%A5%E5%BF%97/f.json.gz", "région-été/日志/f.json.gz"},
		{"unicode raw", "région/f.json.gz", "région/f.json.gz"},
		{"org trail with prefix", "my+prefix/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/f.json.gz", "my prefix/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/f.json.gz"},
	}
	shapes := []struct {
		name string
		wrap func(string) string
	}{
		{"s3", s3Notice},
		{"eventbridge", ebEvent},
		{"sqs-s3", func(k string) string { return sqsBatch(s3Notice(k)) }},
		{"sqs-eventbridge", func(k string) string { return sqsBatch(ebEvent(k)) }},
	}
	for _, tt := range tests {
		for _, sh := range shapes {
			t.Run(tt.name+"/"+sh.name, func(t *testing.T) {
				b, err := Decode([]byte(sh.wrap(tt.raw)))
				if err != nil {
					t.Fatal(err)
				}
				m := b.Messages[0]
				if m.Err != nil || len(m.Objects) != 1 {
					t.Fatalf("message %+v", m)
				}
				if got := m.Objects[0].Key; got != tt.want {
					t.Errorf("key %q, want %q", got, tt.want)
				}
			})
		}
	}
}

// A malformed event is an error that names the field; nothing is silently dropped.
func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, event, field string }{
		{"not JSON", `{"Records":[`, "unexpected end of JSON input"},
		{"JSON array", `[]`, "cannot unmarshal array"},
		{"unknown shape", `{"hello":"world"}`, "no S3 object notice"},
		{"empty Records", `{"Records":[]}`, "Records"},
		{"no eventSource", `{"Records":[{"eventName":"ObjectCreated:Put"}]}`, "Records[0].eventSource"},
		{"mixed sources", strings.Replace(s3Notice("k"), `]}`, `,{"eventSource":"aws:sqs","messageId":"x"}]}`, 1), "Records[1].eventSource"},
		{"no eventName", `{"Records":[{"eventSource":"aws:s3"}]}`, "Records[0].eventName"},
		{"no s3", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}`, "Records[0].s3"},
		{"no bucket", strings.Replace(s3Notice("k"), bucket, "", 1), "Records[0].s3.bucket.name"},
		{"no key", s3Notice(""), "Records[0].s3.object.key"},
		{"bad escape", s3Notice("a%ZZb"), "Records[0].s3.object.key"},
		{"escape to invalid UTF-8", s3Notice("a%FFb"), "Records[0].s3.object.key"},
		{"size as string", strings.Replace(s3Notice("k"), `"size":7`, `"size":"7"`, 1), "Records.s3.object.size"},
		{"bad eventTime", strings.Replace(s3Notice("k"), "2024-05-14T10:19:42.117Z", "yesterday", 1), "Records[0].eventTime"},
		{"eventbridge wrong source", strings.Replace(ebEvent("k"), `"aws.s3"`, `"aws.signin"`, 1), "source"},
		{"eventbridge no detail-type", strings.Replace(ebEvent("k"), `"detail-type":"Object Created",`, "", 1), "detail-type"},
		{"eventbridge no detail", `{"source":"aws.s3","detail-type":"Object Created"}`, "detail"},
		{"eventbridge no bucket", strings.Replace(ebEvent("k"), bucket, "", 1), "detail.bucket.name"},
		{"eventbridge no key", ebEvent(""), "detail.object.key"},
		{"eventbridge bad time", strings.Replace(ebEvent("k"), "2024-05-14T10:24:06Z", "1715682246", 1), "time"},
		{"sqs without messageId", strings.Replace(sqsBatch(s3Notice("k")), `"messageId":"m0",`, "", 1), "Records[0].messageId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.event))
			if err == nil {
				t.Fatalf("no error, got %+v", b)
			}
			checkErrPath(t, "Decode", err, tt.field)
		})
	}
}

// In an SQS batch a bad body fails only its own message.
func TestDecodeSQSMessageErrors(t *testing.T) {
	tests := []struct{ name, body, field string }{
		{"body not JSON", `not json`, "Records[1].body"},
		{"body unknown shape", `{"Message":"hello"}`, "Records[1].body"},
		{"body key missing", s3Notice(""), "Records[1].body.Records[0].s3.object.key"},
		{"body bad escape", ebEvent("x%G1"), "Records[1].body.detail.object.key"},
		{"body nested SQS batch", sqsBatch(s3Notice("k")), "Records[1].body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(sqsBatch(s3Notice(key1), tt.body, ebEvent(key2))))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(b.Messages) != 3 {
				t.Fatalf("%d messages, want 3", len(b.Messages))
			}
			checkErrPath(t, "bad message", b.Messages[1].Err, tt.field)
			if b.Messages[1].ID != "m1" {
				t.Errorf("bad message ID %q, want m1", b.Messages[1].ID)
			}
			for _, i := range []int{0, 2} {
				if m := b.Messages[i]; m.Err != nil || len(m.Objects) != 1 {
					t.Errorf("good message %d: %+v", i, m)
				}
			}
		})
	}
	t.Run("eventSource", func(t *testing.T) {
		ev := strings.Replace(sqsBatch(s3Notice(key1), s3Notice(key2)), `"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:111122223333:q","awsRegion":"us-east-1"}]}`, `"eventSource":"aws:kinesis","eventSourceARN":"x","awsRegion":"us-east-1"}]}`, 1)
		b, err := Decode([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		checkErrPath(t, "message 1", b.Messages[1].Err, "Records[1].eventSource")
		checkErrPath(t, "message 0", b.Messages[0].Err, "")
	})
}

// Well-formed notices of something other than a created object are skipped with a reason.
func TestDecodeSkips(t *testing.T) {
	testEvent := `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-05-14T09:58:11.023Z","Bucket":"` + bucket + `","RequestId":"5582815E1AEA5ADF","HostId":"x"}`
	tests := []struct {
		name, event string
		objects     int
		reason      string
	}{
		{"removed", strings.Replace(s3Notice(key1), "ObjectCreated:Put", "ObjectRemoved:Delete", 1), 0, "ObjectRemoved:Delete"},
		{"removed beside created", mixedRecords(), 1, "Records[1]: eventName ObjectRemoved:Delete"},
		{"eventbridge deleted", strings.Replace(ebEvent(key1), "Object Created", "Object Deleted", 1), 0, `detail-type "Object Deleted"`},
		{"test event", testEvent, 0, "s3:TestEvent for bucket " + bucket},
		{"test event in SQS", sqsBatch(testEvent), 0, "s3:TestEvent for bucket " + bucket},
		{"multipart upload", strings.Replace(s3Notice(key1), "ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload", 1), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			m := b.Messages[0]
			if m.Err != nil {
				t.Fatal(m.Err)
			}
			if len(m.Objects) != tt.objects {
				t.Errorf("%d objects, want %d", len(m.Objects), tt.objects)
			}
			if tt.reason == "" {
				if len(m.Skipped) != 0 {
					t.Errorf("skipped %q, want none", m.Skipped)
				}
				return
			}
			if len(m.Skipped) != 1 || !strings.Contains(m.Skipped[0], tt.reason) {
				t.Errorf("skipped %q, want one reason containing %q", m.Skipped, tt.reason)
			}
		})
	}
}

// mixedRecords is an S3 notification with a created and a removed record.
func mixedRecords() string {
	created := strings.TrimSuffix(strings.TrimPrefix(s3Notice(key1), `{"Records":[`), `]}`)
	removed := strings.Replace(strings.TrimSuffix(strings.TrimPrefix(s3Notice(key2), `{"Records":[`), `]}`), "ObjectCreated:Put", "ObjectRemoved:Delete", 1)
	return `{"Records":[` + created + "," + removed + `]}`
}

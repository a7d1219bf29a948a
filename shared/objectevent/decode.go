package objectevent

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// envelope is every top-level shape at once, so one pass of the decoder tells them apart:
// Records (S3 notification or SQS batch), source/detail (EventBridge), Event (s3:TestEvent).
type envelope struct {
	Records []record `json:"Records"`

	Source     string    `json:"source"`
	DetailType string    `json:"detail-type"`
	Time       string    `json:"time"`
	Region     string    `json:"region"`
	Detail     *ebDetail `json:"detail"`

	Event  string `json:"Event"`
	Bucket string `json:"Bucket"`
}

// record is an element of Records: an S3 notification record or an SQS message.
type record struct {
	EventSource string `json:"eventSource"`

	EventName string    `json:"eventName"`
	EventTime string    `json:"eventTime"`
	AWSRegion string    `json:"awsRegion"`
	S3        *s3Entity `json:"s3"`

	MessageID string  `json:"messageId"`
	Body      *string `json:"body"`
}

type s3Entity struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"eTag"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
}

type ebDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
}

// Decode reads one Lambda event in any of the three shapes. An error means the event as a
// whole cannot be used (not JSON, an unknown shape, a malformed direct or EventBridge notice,
// an SQS message without messageId); a malformed SQS message body only sets that message's
// Err, so the others can still be processed and only it is reported as failed.
func Decode(raw []byte) (*Batch, error) {
	var env envelope
	if err := unmarshal("", raw, &env); err != nil {
		return nil, err
	}
	if env.isSQS() {
		return decodeSQS(env.Records)
	}
	msg, err := env.notice("")
	if err != nil {
		return nil, err
	}
	shape := ShapeS3Notification
	if env.Source != "" {
		shape = ShapeEventBridge
	}
	return &Batch{Shape: shape, Messages: []Message{msg}}, nil
}

func (e *envelope) isSQS() bool {
	return len(e.Records) > 0 && e.Records[0].EventSource == "aws:sqs"
}

func decodeSQS(recs []record) (*Batch, error) {
	b := &Batch{Shape: ShapeSQS, Messages: make([]Message, 0, len(recs))}
	for i := range recs {
		r := &recs[i]
		path := fmt.Sprintf("Records[%d]", i)
		if r.MessageID == "" {
			return nil, fieldErr(path+".messageId", "missing: the message could not be reported as failed")
		}
		m := Message{ID: r.MessageID}
		switch {
		case r.EventSource != "aws:sqs":
			m.Err = fieldErr(path+".eventSource", "got %q in an SQS batch, want aws:sqs", r.EventSource)
		case r.Body == nil:
			m.Err = fieldErr(path+".body", "missing")
		default:
			m.Objects, m.Skipped, m.Err = decodeBody(path+".body", *r.Body)
		}
		b.Messages = append(b.Messages, m)
	}
	return b, nil
}

// decodeBody decodes an SQS message body: an S3 notification, an EventBridge event (a rule
// with an SQS target), or s3:TestEvent.
func decodeBody(path, body string) ([]Object, []string, error) {
	var inner envelope
	if err := unmarshal(path, []byte(body), &inner); err != nil {
		return nil, nil, err
	}
	if inner.isSQS() {
		return nil, nil, fieldErr(path, "holds an SQS batch, want an S3 notification or EventBridge event")
	}
	m, err := inner.notice(path)
	return m.Objects, m.Skipped, err
}

// notice decodes an S3 notification, EventBridge event or s3:TestEvent.
func (e *envelope) notice(prefix string) (Message, error) {
	var m Message
	switch {
	case e.Records != nil:
		if len(e.Records) == 0 {
			return m, fieldErr(join(prefix, "Records"), "empty")
		}
		for i := range e.Records {
			if err := e.Records[i].notice(fmt.Sprintf("%s[%d]", join(prefix, "Records"), i), &m); err != nil {
				return m, err
			}
		}
	case e.Event == "s3:TestEvent":
		m.Skipped = append(m.Skipped, fmt.Sprintf("s3:TestEvent for bucket %s", e.Bucket))
	case e.Source != "" || e.DetailType != "" || e.Detail != nil:
		return m, e.eventBridge(prefix, &m)
	default:
		where := "event"
		if prefix != "" {
			where = prefix
		}
		return m, fmt.Errorf("%w: %s is no S3 object notice: no Records, no EventBridge source, no s3:TestEvent", trail.ErrMalformed, where)
	}
	return m, nil
}

// notice adds the object of one S3 notification record to m.
func (r *record) notice(path string, m *Message) error {
	switch {
	case r.EventSource != "aws:s3":
		return fieldErr(path+".eventSource", "got %q, want aws:s3", r.EventSource)
	case r.EventName == "":
		return fieldErr(path+".eventName", "missing")
	case !strings.HasPrefix(r.EventName, "ObjectCreated:"):
		m.Skipped = append(m.Skipped, fmt.Sprintf("%s: eventName %s is no ObjectCreated event", path, r.EventName))
		return nil
	case r.S3 == nil:
		return fieldErr(path+".s3", "missing")
	case r.S3.Bucket.Name == "":
		return fieldErr(path+".s3.bucket.name", "missing")
	}
	key, err := decodeKey(path+".s3.object.key", r.S3.Object.Key)
	if err != nil {
		return err
	}
	t, err := parseTime(path+".eventTime", r.EventTime)
	if err != nil {
		return err
	}
	o := &r.S3.Object
	m.Objects = append(m.Objects, Object{
		Bucket: r.S3.Bucket.Name, Key: key, ETag: o.ETag, Size: o.Size, Sequencer: o.Sequencer,
		EventTime: t, Region: r.AWSRegion,
	})
	return nil
}

// eventBridge adds the object of an EventBridge event from S3 to m.
func (e *envelope) eventBridge(prefix string, m *Message) error {
	switch {
	case e.Source != "aws.s3":
		return fieldErr(join(prefix, "source"), "got %q, want aws.s3", e.Source)
	case e.DetailType == "":
		return fieldErr(join(prefix, "detail-type"), "missing")
	case e.DetailType != "Object Created":
		m.Skipped = append(m.Skipped, fmt.Sprintf("detail-type %q is no Object Created event", e.DetailType))
		return nil
	case e.Detail == nil:
		return fieldErr(join(prefix, "detail"), "missing")
	case e.Detail.Bucket.Name == "":
		return fieldErr(join(prefix, "detail.bucket.name"), "missing")
	}
	key, err := decodeKey(join(prefix, "detail.object.key"), e.Detail.Object.Key)
	if err != nil {
		return err
	}
	t, err := parseTime(join(prefix, "time"), e.Time)
	if err != nil {
		return err
	}
	o := &e.Detail.Object
	m.Objects = append(m.Objects, Object{
		Bucket: e.Detail.Bucket.Name, Key: key, ETag: o.ETag, Size: o.Size, Sequencer: o.Sequencer,
		EventTime: t, Region: e.Region,
	})
	return nil
}

// decodeKey undoes the form-style URL encoding of a key in a notice.
func decodeKey(field, raw string) (string, error) {
	if raw == "" {
		return "", fieldErr(field, "missing")
	}
	if !strings.ContainsAny(raw, "+%") {
		return raw, nil
	}
	key, err := url.QueryUnescape(raw)
	if err != nil {
		return "", fieldErr(field, "bad URL encoding in %q: %v", raw, err)
	}
	if !utf8.ValidString(key) {
		return "", fieldErr(field, "%q decodes to invalid UTF-8", raw)
	}
	return key, nil
}

func parseTime(field, raw string) (time.Time, error) {
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, fieldErr(field, "want an RFC 3339 time, got %q", raw)
	}
	return t, nil
}

// unmarshal decodes with the fast decoder; on an error the standard library decodes again,
// because its errors name the JSON path of a mistyped field.
func unmarshal(prefix string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	if stdErr := stdjson.Unmarshal(data, v); stdErr != nil {
		err = stdErr
	}
	var te *stdjson.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fieldErr(join(prefix, te.Field), "want %s, got JSON %s", te.Type, te.Value)
	}
	if prefix == "" {
		return fmt.Errorf("%w: %w", trail.ErrMalformed, err)
	}
	return fmt.Errorf("%w: %s: %w", trail.ErrMalformed, prefix, err)
}

func fieldErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", trail.ErrMalformed, &trail.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

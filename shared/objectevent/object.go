package objectevent

import "time"

// Shape is the way an object-created notice reached Lambda; it decides how failures are
// reported (an SQS batch reports the failed messages, the other shapes fail the invocation).
type Shape string

// The shapes Decode recognises.
const (
	ShapeS3Notification Shape = "s3-notification" // S3 event notification delivered to Lambda directly
	ShapeEventBridge    Shape = "eventbridge"     // EventBridge "Object Created" event
	ShapeSQS            Shape = "sqs"             // SQS batch of S3 notifications or EventBridge events
)

// Object is one created object, with its key decoded.
type Object struct {
	Bucket    string
	Key       string
	ETag      string
	Size      int64
	Sequencer string    // orders events of the same key; empty when the notice has none
	EventTime time.Time // when S3 finished the request (zero when the notice does not say)
	Region    string    // the bucket's region, as the notice gives it
}

// Message is one unit of redelivery: an SQS message, or the whole event for the other shapes.
type Message struct {
	ID      string   // SQS messageId; empty for the other shapes
	Objects []Object // created objects, in notice order (duplicates kept)
	Skipped []string // why well-formed parts of the notice announce no created object
	Err     error    // malformed body of this message only (SQS); nil otherwise
}

// Batch is one decoded Lambda event.
type Batch struct {
	Shape    Shape
	Messages []Message
}

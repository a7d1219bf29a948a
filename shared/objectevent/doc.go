// Package objectevent decodes "an S3 object was created" in each shape Lambda receives it:
// a direct S3 event notification (Records[].s3), an EventBridge "Object Created" event
// (source aws.s3), and an SQS batch whose message bodies are either of those (or S3's
// s3:TestEvent, which is skipped). Functions that react to delivered CloudTrail log files
// (partitions, aggregate, rules) use it so that all of them accept the same triggers.
//
// Object keys arrive URL-encoded in form style ('+' for a space, %XX for other bytes:
// "env=prod" arrives as "env%3Dprod"); Decode returns them decoded, as S3's API expects them.
// S3's "Event message structure" documents this for notifications. For EventBridge the S3
// documentation says nothing either way; AWS's own consumers decode those keys the same way
// (Powertools for Lambda (Python) S3EventBridgeNotificationObject.key uses unquote_plus,
// OpenSearch Data Prepper's S3EventBridgeNotification uses SdkHttpUtils.urlDecode), so this
// package does too. CloudTrail's own keys contain no '+' or '%', so the choice only matters
// for a configured prefix.
//
// Errors wrap trail.ErrMalformed and name the JSON path of the bad field
// ("Records[2].body.Records[0].s3.object.key").
package objectevent

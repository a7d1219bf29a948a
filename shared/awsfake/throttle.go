package awsfake

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// Throttler is an http.RoundTripper for SDK clients pointed at a real local server
// (dynalite, s3rver): it answers the next N requests itself with DynamoDB's throttling error,
// as the service does under load, and passes every other request through. Tests use it to
// show that throttling is retried by the SDK and loses nothing.
type Throttler struct {
	Base http.RoundTripper // nil means http.DefaultTransport

	mu        sync.Mutex
	remaining int
	throttled int
}

// ThrottleNext makes the next n requests fail with ProvisionedThroughputExceededException.
func (t *Throttler) ThrottleNext(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remaining += n
}

// Throttled reports how many requests were answered with throttling.
func (t *Throttler) Throttled() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.throttled
}

// RoundTrip implements http.RoundTripper.
func (t *Throttler) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	throttle := t.remaining > 0
	if throttle {
		t.remaining--
		t.throttled++
	}
	t.mu.Unlock()
	if !throttle {
		base := t.Base
		if base == nil {
			base = http.DefaultTransport
		}
		return base.RoundTrip(req)
	}
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	body := `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",` +
		`"message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}`
	return &http.Response{
		StatusCode:    http.StatusBadRequest,
		Status:        "400 Bad Request",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"THROTTLED"}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

package awsfake

import "fmt"

// Failure is a failure of a whole request a fake can be told to answer with (FailNext). Each
// fake answers it in its own service's words — status, error code and message — as the
// service does, so the SDK's retryer treats it as it would the real answer.
type Failure int

const (
	// InternalError is the service's 5xx (InternalError, InternalServiceException,
	// ServiceFailure…); the SDK retries it.
	InternalError Failure = iota + 1
	// Throttling is the service's throttling answer (Throttling, ThrottlingException); the
	// SDK retries it as a throttle.
	Throttling
	// AccessDenied is a 403 AccessDenied; the SDK does not retry it.
	AccessDenied
)

// failures queues the failures of a fake's next requests. The fake's own mutex guards it.
type failures struct {
	service string
	answers map[Failure]apiError // the failures this service can answer, in its words
	queue   []Failure
}

// add queues n failures of kind; a kind the service does not answer is a test bug, reported
// at once rather than from the handler.
func (q *failures) add(n int, kind Failure) {
	if _, ok := q.answers[kind]; !ok {
		panic(fmt.Sprintf("awsfake: the %s fake has no Failure %d", q.service, int(kind)))
	}
	for range n {
		q.queue = append(q.queue, kind)
	}
}

// next takes the next queued failure's answer, or nil when none is queued.
func (q *failures) next() *apiError {
	if len(q.queue) == 0 {
		return nil
	}
	e := q.answers[q.queue[0]]
	q.queue = q.queue[1:]
	return &e
}

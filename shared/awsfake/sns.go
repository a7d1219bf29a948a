// Package awsfake provides wire-level stand-ins for AWS services that have no
// local server: httptest servers that decode the real requests of the
// aws-sdk-go-v2 clients, check them as the service does, and answer in the
// service's own protocol, errors and throttling included. Tests point a real
// client at a fake (Config) and assert on what the fake recorded.
package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"
)

const (
	snsXMLNS   = "http://sns.amazonaws.com/doc/2010-03-31/"
	snsVersion = "2010-03-31"
)

// snsFailures are SNS's answers to the injected failures.
var snsFailures = map[Failure]apiError{
	InternalError: {500, "InternalError", "Internal Error"},
	Throttling:    {400, "Throttling", "Rate exceeded"},
}

// invalidParameter is SNS's 400 InvalidParameter.
func invalidParameter(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameter", fmt.Sprintf(format, args...)}
}

// SNS is a fake Amazon SNS endpoint (query protocol, API 2010-03-31) that
// knows one standard topic and serves Publish and PublishBatch. It is safe
// for concurrent use.
type SNS struct {
	server   *httptest.Server
	topicARN string

	mu           sync.Mutex
	requests     int
	published    []Message
	fail         failures
	failEntryIDs map[string]bool
	failEntriesN int
}

// NewSNS starts a fake SNS that knows topicARN (publishing to any other topic
// is NotFound) and stops it when the test ends.
func NewSNS(t testing.TB, topicARN string) *SNS {
	t.Helper()
	s := &SNS{topicARN: topicARN, failEntryIDs: map[string]bool{},
		fail: failures{service: "SNS", answers: snsFailures}}
	s.server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.server.Close)
	return s
}

// URL is the endpoint to give the client (Config(URL()), or BaseEndpoint).
func (s *SNS) URL() string { return s.server.URL }

// TopicARN is the topic the fake knows.
func (s *SNS) TopicARN() string { return s.topicARN }

// Published returns the messages accepted so far, in order, each once: a
// request that failed (injected or invalid) recorded nothing, and a failed
// batch entry is not among them.
func (s *SNS) Published() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.published)
}

// Requests counts the HTTP requests received, failed and retried ones included.
func (s *SNS) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// FailNext makes the next n requests fail with kind, whatever they are.
func (s *SNS) FailNext(n int, kind Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail.add(n, kind)
}

// FailBatchEntries makes each PublishBatch entry with one of these Ids come
// back in the response's Failed list (InternalError, not the sender's fault)
// the next time it is sent; the request's other entries succeed.
func (s *SNS) FailBatchEntries(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.failEntryIDs[id] = true
	}
}

// FailNextBatchEntries makes the next n PublishBatch entries, whatever their
// Ids, come back in Failed.
func (s *SNS) FailNextBatchEntries(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failEntriesN += n
}

func (s *SNS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()

	form, err := readQuery(r, "sns", snsVersion)
	if err == nil {
		err = s.injectedFailure()
	}
	if err != nil {
		writeQueryError(w, snsXMLNS, err)
		return
	}
	switch action := form.Get("Action"); action {
	case "Publish":
		s.publish(w, form)
	case "PublishBatch":
		s.publishBatch(w, form)
	default:
		writeQueryError(w, snsXMLNS, &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", action)})
	}
}

func (s *SNS) injectedFailure() *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail.next()
}

// topic reads TopicArn (or TargetArn, which SNS accepts for a topic too) and
// checks that the fake knows it.
func (s *SNS) topic(form url.Values) (string, *apiError) {
	arn := form.Get("TopicArn")
	if arn == "" {
		arn = form.Get("TargetArn")
	}
	switch {
	case arn == "":
		return "", invalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	case arn != s.topicARN:
		return "", &apiError{http.StatusNotFound, "NotFound", "Topic does not exist"}
	}
	return arn, nil
}

type publishResponse struct {
	XMLName   xml.Name `xml:"PublishResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	MessageID string   `xml:"PublishResult>MessageId"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

func (s *SNS) publish(w http.ResponseWriter, form url.Values) {
	if form.Get("PhoneNumber") != "" {
		writeQueryError(w, snsXMLNS, invalidParameter("Invalid parameter: PhoneNumber Reason: the SNS fake only publishes to its topic"))
		return
	}
	arn, err := s.topic(form)
	if err != nil {
		writeQueryError(w, snsXMLNS, err)
		return
	}
	m, err := decodeMessage(form, "")
	if err != nil {
		writeQueryError(w, snsXMLNS, err)
		return
	}
	m.TopicARN, m.MessageID = arn, requestID()
	s.mu.Lock()
	s.published = append(s.published, m)
	s.mu.Unlock()
	id := requestID()
	writeXML(w, http.StatusOK, id, publishResponse{Xmlns: snsXMLNS, MessageID: m.MessageID, RequestID: id})
}

type publishBatchResponse struct {
	XMLName    xml.Name       `xml:"PublishBatchResponse"`
	Xmlns      string         `xml:"xmlns,attr"`
	Successful []batchSuccess `xml:"PublishBatchResult>Successful>member"`
	Failed     []batchFailure `xml:"PublishBatchResult>Failed>member"`
	RequestID  string         `xml:"ResponseMetadata>RequestId"`
}

type batchSuccess struct {
	ID        string `xml:"Id"`
	MessageID string `xml:"MessageId"`
}

type batchFailure struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

var batchEntryID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func (s *SNS) publishBatch(w http.ResponseWriter, form url.Values) {
	arn, err := s.topic(form)
	if err != nil {
		writeQueryError(w, snsXMLNS, err)
		return
	}
	entries, err := decodeBatch(form)
	if err != nil {
		writeQueryError(w, snsXMLNS, err)
		return
	}

	resp := publishBatchResponse{Xmlns: snsXMLNS, RequestID: requestID()}
	s.mu.Lock()
	for _, m := range entries {
		if s.failEntriesN > 0 || s.failEntryIDs[m.BatchEntryID] {
			if s.failEntriesN > 0 {
				s.failEntriesN--
			}
			delete(s.failEntryIDs, m.BatchEntryID)
			resp.Failed = append(resp.Failed, batchFailure{ID: m.BatchEntryID, Code: "InternalError", Message: "Internal Error"})
			continue
		}
		m.TopicARN, m.MessageID = arn, requestID()
		s.published = append(s.published, m)
		resp.Successful = append(resp.Successful, batchSuccess{ID: m.BatchEntryID, MessageID: m.MessageID})
	}
	s.mu.Unlock()
	writeXML(w, http.StatusOK, resp.RequestID, resp)
}

// decodeBatch reads PublishBatchRequestEntries.member.N.* and checks the
// batch as a whole; an invalid entry fails the whole request, as in SNS.
func decodeBatch(form url.Values) ([]Message, *apiError) {
	var entries []Message
	seen := map[string]bool{}
	size := 0
	for n := 1; ; n++ {
		prefix := fmt.Sprintf("PublishBatchRequestEntries.member.%d.", n)
		id, ok := form[prefix+"Id"]
		if !ok {
			break
		}
		if len(entries) == maxBatchEntries {
			return nil, &apiError{http.StatusBadRequest, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."}
		}
		if !batchEntryID.MatchString(id[0]) {
			return nil, &apiError{http.StatusBadRequest, "InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
		}
		if seen[id[0]] {
			return nil, &apiError{http.StatusBadRequest, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."}
		}
		seen[id[0]] = true
		m, err := decodeMessage(form, prefix)
		if err != nil {
			return nil, err
		}
		m.BatchEntryID = id[0]
		size += m.size()
		entries = append(entries, m)
	}
	if len(entries) == 0 {
		return nil, &apiError{http.StatusBadRequest, "EmptyBatchRequest", "The batch request doesn't contain any entries."}
	}
	if size > maxPublishBytes {
		return nil, &apiError{http.StatusBadRequest, "BatchRequestTooLong", "The length of all the messages put together is more than the limit."}
	}
	return entries, nil
}

package awsfake

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

const testTopic = "arn:aws:sns:us-east-1:111122223333:trailguard-alerts"

// newSNSClient starts a fake and returns a real SNS client pointed at it.
func newSNSClient(t *testing.T, optFns ...func(*sns.Options)) (*SNS, *sns.Client) {
	t.Helper()
	fake := NewSNS(t, testTopic)
	return fake, sns.NewFromConfig(Config(fake.URL()), optFns...)
}

func noRetries(o *sns.Options) { o.RetryMaxAttempts = 1 }

func stringAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func TestPublishIsDecoded(t *testing.T) {
	fake, client := newSNSClient(t)
	body := `{"default":"d","email":"full detail","sms":"trailguard HIGH untrusted sign-in"}`
	out, err := client.Publish(t.Context(), &sns.PublishInput{
		TopicArn:         aws.String(testTopic),
		Message:          aws.String(body),
		MessageStructure: aws.String("json"),
		Subject:          aws.String("trailguard HIGH: untrusted sign-in by alice"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"severity": stringAttr("HIGH"),
			"kind":     stringAttr("untrusted-source-ip"),
			"count":    {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"raw":      {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := fake.Published()
	if len(got) != 1 {
		t.Fatalf("Published() has %d messages, want 1", len(got))
	}
	m := got[0]
	if m.MessageID == "" || aws.ToString(out.MessageId) != m.MessageID {
		t.Errorf("MessageId: SDK got %q, fake recorded %q", aws.ToString(out.MessageId), m.MessageID)
	}
	if m.TopicARN != testTopic || m.Message != body || m.MessageStructure != "json" ||
		m.Subject != "trailguard HIGH: untrusted sign-in by alice" || m.BatchEntryID != "" {
		t.Errorf("decoded %+v", m)
	}
	want := map[string]Attribute{
		"severity": {DataType: "String", StringValue: "HIGH"},
		"kind":     {DataType: "String", StringValue: "untrusted-source-ip"},
		"count":    {DataType: "Number", StringValue: "3"},
		"raw":      {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
	}
	if len(m.Attributes) != len(want) {
		t.Errorf("attributes %+v, want %+v", m.Attributes, want)
	}
	for name, w := range want {
		a := m.Attributes[name]
		if a.DataType != w.DataType || a.StringValue != w.StringValue || string(a.BinaryValue) != string(w.BinaryValue) {
			t.Errorf("attribute %s = %+v, want %+v", name, a, w)
		}
	}
	bodies, err := m.Structured()
	if err != nil || bodies["sms"] != "trailguard HIGH untrusted sign-in" || bodies["email"] != "full detail" {
		t.Errorf("Structured() = %v, %v", bodies, err)
	}
	if fake.Requests() != 1 {
		t.Errorf("Requests() = %d, want 1", fake.Requests())
	}
}

func TestPublishValidationErrors(t *testing.T) {
	valid := func() *sns.PublishInput {
		return &sns.PublishInput{TopicArn: aws.String(testTopic), Message: aws.String("hello")}
	}
	tests := []struct {
		name     string
		edit     func(*sns.PublishInput)
		code     string
		typed    any // pointer to the SDK's typed error, when it has one
		contains string
	}{
		{"unknown topic", func(in *sns.PublishInput) { in.TopicArn = aws.String("arn:aws:sns:us-east-1:111122223333:other") },
			"NotFound", new(*types.NotFoundException), "Topic does not exist"},
		{"subject of 101 characters", func(in *sns.PublishInput) { in.Subject = aws.String(strings.Repeat("s", 101)) },
			"InvalidParameter", new(*types.InvalidParameterException), "Subject"},
		{"subject with a line break", func(in *sns.PublishInput) { in.Subject = aws.String("line\nbreak") },
			"InvalidParameter", new(*types.InvalidParameterException), "Subject"},
		{"subject not ASCII", func(in *sns.PublishInput) { in.Subject = aws.String("caf\u00e9") },
			"InvalidParameter", new(*types.InvalidParameterException), "Subject"},
		{"empty subject", func(in *sns.PublishInput) { in.Subject = aws.String("") },
			"InvalidParameter", new(*types.InvalidParameterException), "Subject"},
		{"empty message", func(in *sns.PublishInput) { in.Message = aws.String("") },
			"InvalidParameter", new(*types.InvalidParameterException), "Empty message"},
		{"json structure not JSON", func(in *sns.PublishInput) { in.MessageStructure = aws.String("json") },
			"InvalidParameter", new(*types.InvalidParameterException), "failed to parse"},
		{"json structure without default", func(in *sns.PublishInput) {
			in.MessageStructure, in.Message = aws.String("json"), aws.String(`{"sms":"x"}`)
		}, "InvalidParameter", new(*types.InvalidParameterException), "No default entry"},
		{"unknown structure", func(in *sns.PublishInput) { in.MessageStructure = aws.String("xml") },
			"InvalidParameter", new(*types.InvalidParameterException), "MessageStructure"},
		{"message over 256 KiB", func(in *sns.PublishInput) { in.Message = aws.String(strings.Repeat("x", 256*1024+1)) },
			"InvalidParameter", new(*types.InvalidParameterException), "Message too long"},
		{"message and attributes over 256 KiB", func(in *sns.PublishInput) {
			in.Message = aws.String(strings.Repeat("x", 256*1024-10))
			in.MessageAttributes = map[string]types.MessageAttributeValue{"severity": stringAttr("HIGH")}
		}, "InvalidParameter", new(*types.InvalidParameterException), "Message too long"},
		{"attribute data type", func(in *sns.PublishInput) {
			in.MessageAttributes = map[string]types.MessageAttributeValue{"severity": {DataType: aws.String("Text"), StringValue: aws.String("HIGH")}}
		}, "ParameterValueInvalid", new(*types.InvalidParameterValueException), "invalid message attribute type"},
		{"attribute without value", func(in *sns.PublishInput) {
			in.MessageAttributes = map[string]types.MessageAttributeValue{"severity": {DataType: aws.String("String")}}
		}, "ParameterValueInvalid", new(*types.InvalidParameterValueException), "non-empty"},
		{"number attribute not a number", func(in *sns.PublishInput) {
			in.MessageAttributes = map[string]types.MessageAttributeValue{"count": {DataType: aws.String("Number"), StringValue: aws.String("many")}}
		}, "ParameterValueInvalid", new(*types.InvalidParameterValueException), "to number"},
		{"reserved attribute name", func(in *sns.PublishInput) {
			in.MessageAttributes = map[string]types.MessageAttributeValue{"AWS.severity": stringAttr("HIGH")}
		}, "ParameterValueInvalid", new(*types.InvalidParameterValueException), "name 'AWS.severity' is invalid"},
		{"phone number", func(in *sns.PublishInput) { in.TopicArn, in.PhoneNumber = nil, aws.String("+15555550100") },
			"InvalidParameter", new(*types.InvalidParameterException), "PhoneNumber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newSNSClient(t)
			in := valid()
			tt.edit(in)
			_, err := client.Publish(t.Context(), in)
			assertAPIError(t, err, tt.code, tt.contains)
			if !errors.As(err, tt.typed) {
				t.Errorf("error %T is not the SDK's %T", err, tt.typed)
			}
			if n := len(fake.Published()); n != 0 {
				t.Errorf("an invalid publish recorded %d messages", n)
			}
		})
	}
}

// TestSubjectAtTheLimit: 100 printable ASCII characters pass (the project's
// alert subjects are capped there).
func TestSubjectAtTheLimit(t *testing.T) {
	fake, client := newSNSClient(t)
	subject := strings.Repeat("~", 99) + " "
	_, err := client.Publish(t.Context(), &sns.PublishInput{TopicArn: aws.String(testTopic), Message: aws.String("m"), Subject: aws.String(subject)})
	if err != nil {
		t.Fatalf("Publish with a 100-character subject: %v", err)
	}
	if got := fake.Published(); len(got) != 1 || got[0].Subject != subject {
		t.Errorf("Published() = %+v", got)
	}
}

func assertAPIError(t *testing.T, err error, code, contains string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want an API error %s", err, err, code)
	}
	if apiErr.ErrorCode() != code || !strings.Contains(apiErr.ErrorMessage(), contains) {
		t.Errorf("error %s %q, want %s containing %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, contains)
	}
}

// assertInjectedFailure checks an injected failure as a client that does not retry sees it:
// its code, its HTTP status, that the SDK's standard retryer would retry it, and whether the
// SDK counts it as throttling.
func assertInjectedFailure(t *testing.T, err error, code string, status int, throttle bool) {
	t.Helper()
	assertAPIError(t, err, code, "")
	var httpErr interface{ HTTPStatusCode() int }
	if !errors.As(err, &httpErr) || httpErr.HTTPStatusCode() != status {
		t.Errorf("HTTP status of %v, want %d", err, status)
	}
	if !retry.NewStandard().IsErrorRetryable(err) {
		t.Errorf("the SDK's standard retryer does not retry %v", err)
	}
	if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary; got != throttle {
		t.Errorf("SDK classifies %s as throttle: %v, want %v", code, got, throttle)
	}
}

func TestThrottlingIsRetriedBySDK(t *testing.T) {
	fake, client := newSNSClient(t) // the SDK's default retryer
	fake.FailNext(1, Throttling)
	if _, err := client.Publish(t.Context(), &sns.PublishInput{TopicArn: aws.String(testTopic), Message: aws.String("once")}); err != nil {
		t.Fatalf("Publish after one throttle: %v", err)
	}
	if got := fake.Published(); len(got) != 1 || got[0].Message != "once" {
		t.Errorf("Published() = %+v, want exactly one message", got)
	}
	if fake.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2 (throttled, then retried)", fake.Requests())
	}
}

func TestInternalErrorIsRetriedBySDK(t *testing.T) {
	fake, client := newSNSClient(t)
	fake.FailNext(1, InternalError)
	if _, err := client.Publish(t.Context(), &sns.PublishInput{TopicArn: aws.String(testTopic), Message: aws.String("once")}); err != nil {
		t.Fatalf("Publish after one 500: %v", err)
	}
	if len(fake.Published()) != 1 || fake.Requests() != 2 {
		t.Errorf("Published() = %d messages after %d requests, want 1 after 2", len(fake.Published()), fake.Requests())
	}
}

// TestInjectedFailuresAsTheSDKSeesThem checks each failure's wire answer
// through a client that does not retry: its code, its type, and that the
// SDK's retry rules classify it as SNS's would be.
func TestInjectedFailuresAsTheSDKSeesThem(t *testing.T) {
	tests := []struct {
		kind     Failure
		code     string
		status   int
		throttle bool
	}{
		{Throttling, "Throttling", http.StatusBadRequest, true},
		{InternalError, "InternalError", http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			fake, client := newSNSClient(t, noRetries)
			fake.FailNext(1, tt.kind)
			_, err := client.Publish(t.Context(), &sns.PublishInput{TopicArn: aws.String(testTopic), Message: aws.String("m")})
			assertInjectedFailure(t, err, tt.code, tt.status, tt.throttle)
			if len(fake.Published()) != 0 {
				t.Errorf("a failed request recorded a message")
			}
			// The failure was used up: the next request succeeds.
			if _, err := client.Publish(t.Context(), &sns.PublishInput{TopicArn: aws.String(testTopic), Message: aws.String("m")}); err != nil {
				t.Errorf("Publish after the injected failure: %v", err)
			}
		})
	}
}

func batchEntry(id, msg string) types.PublishBatchRequestEntry {
	return types.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String(msg)}
}

func TestPublishBatchIsDecoded(t *testing.T) {
	fake, client := newSNSClient(t)
	out, err := client.PublishBatch(t.Context(), &sns.PublishBatchInput{
		TopicArn: aws.String(testTopic),
		PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
			{Id: aws.String("a1"), Message: aws.String(`{"default":"one"}`), MessageStructure: aws.String("json"),
				Subject: aws.String("first"), MessageAttributes: map[string]types.MessageAttributeValue{"severity": stringAttr("HIGH")}},
			batchEntry("a2", "two"),
		},
	})
	if err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 0 {
		t.Fatalf("Successful %d, Failed %d; want 2, 0", len(out.Successful), len(out.Failed))
	}
	got := fake.Published()
	if len(got) != 2 {
		t.Fatalf("Published() has %d messages, want 2", len(got))
	}
	first, second := got[0], got[1]
	if first.BatchEntryID != "a1" || first.Message != `{"default":"one"}` || first.MessageStructure != "json" ||
		first.Subject != "first" || first.Attributes["severity"].StringValue != "HIGH" || first.TopicARN != testTopic {
		t.Errorf("first entry decoded as %+v", first)
	}
	if second.BatchEntryID != "a2" || second.Message != "two" || len(second.Attributes) != 0 {
		t.Errorf("second entry decoded as %+v", second)
	}
	for i, s := range out.Successful {
		if aws.ToString(s.Id) != got[i].BatchEntryID || aws.ToString(s.MessageId) != got[i].MessageID {
			t.Errorf("Successful[%d] = {%s %s}, recorded {%s %s}", i, aws.ToString(s.Id), aws.ToString(s.MessageId), got[i].BatchEntryID, got[i].MessageID)
		}
	}
}

func TestPublishBatchErrors(t *testing.T) {
	eleven := make([]types.PublishBatchRequestEntry, 11)
	for i := range eleven {
		eleven[i] = batchEntry("e"+string(rune('a'+i)), "m")
	}
	tests := []struct {
		name    string
		topic   string
		entries []types.PublishBatchRequestEntry
		code    string
		typed   any
	}{
		{"eleven entries", testTopic, eleven, "TooManyEntriesInBatchRequest", new(*types.TooManyEntriesInBatchRequestException)},
		{"duplicate ids", testTopic, []types.PublishBatchRequestEntry{batchEntry("x", "1"), batchEntry("x", "2")},
			"BatchEntryIdsNotDistinct", new(*types.BatchEntryIdsNotDistinctException)},
		{"invalid id", testTopic, []types.PublishBatchRequestEntry{batchEntry("not ok!", "1")},
			"InvalidBatchEntryId", new(*types.InvalidBatchEntryIdException)},
		{"no entries", testTopic, []types.PublishBatchRequestEntry{}, "EmptyBatchRequest", new(*types.EmptyBatchRequestException)},
		{"unknown topic", "arn:aws:sns:us-east-1:111122223333:other", []types.PublishBatchRequestEntry{batchEntry("a", "1")},
			"NotFound", new(*types.NotFoundException)},
		{"invalid entry fails the batch", testTopic, []types.PublishBatchRequestEntry{batchEntry("a", "1"),
			{Id: aws.String("b"), Message: aws.String("2"), Subject: aws.String("two\nlines")}},
			"InvalidParameter", new(*types.InvalidParameterException)},
		{"batch over 256 KiB", testTopic, []types.PublishBatchRequestEntry{
			batchEntry("a", strings.Repeat("x", 200*1024)), batchEntry("b", strings.Repeat("y", 100*1024))},
			"BatchRequestTooLong", new(*types.BatchRequestTooLongException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newSNSClient(t)
			_, err := client.PublishBatch(t.Context(), &sns.PublishBatchInput{TopicArn: aws.String(tt.topic), PublishBatchRequestEntries: tt.entries})
			assertAPIError(t, err, tt.code, "")
			if !errors.As(err, tt.typed) {
				t.Errorf("error %T is not the SDK's %T", err, tt.typed)
			}
			if n := len(fake.Published()); n != 0 {
				t.Errorf("a rejected batch recorded %d messages", n)
			}
		})
	}
}

func TestPublishBatchPartialFailure(t *testing.T) {
	entries := []types.PublishBatchRequestEntry{batchEntry("a", "1"), batchEntry("b", "2"), batchEntry("c", "3"), batchEntry("d", "4")}
	tests := []struct {
		name       string
		arrange    func(*SNS)
		wantFailed []string
	}{
		{"by id", func(f *SNS) { f.FailBatchEntries("b", "d") }, []string{"b", "d"}},
		{"next n", func(f *SNS) { f.FailNextBatchEntries(2) }, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newSNSClient(t)
			tt.arrange(fake)
			out, err := client.PublishBatch(t.Context(), &sns.PublishBatchInput{TopicArn: aws.String(testTopic), PublishBatchRequestEntries: entries})
			if err != nil {
				t.Fatalf("PublishBatch: %v", err)
			}
			var failed []types.PublishBatchRequestEntry
			for i, f := range out.Failed {
				if aws.ToString(f.Id) != tt.wantFailed[i] || aws.ToString(f.Code) != "InternalError" || f.SenderFault {
					t.Errorf("Failed[%d] = {Id %s, Code %s, SenderFault %v}", i, aws.ToString(f.Id), aws.ToString(f.Code), f.SenderFault)
				}
				for _, e := range entries {
					if aws.ToString(e.Id) == aws.ToString(f.Id) {
						failed = append(failed, e)
					}
				}
			}
			if len(out.Failed) != len(tt.wantFailed) || len(out.Successful) != len(entries)-len(tt.wantFailed) {
				t.Fatalf("Failed %d, Successful %d; want %d, %d", len(out.Failed), len(out.Successful), len(tt.wantFailed), len(entries)-len(tt.wantFailed))
			}
			if n := len(fake.Published()); n != len(entries)-len(tt.wantFailed) {
				t.Errorf("Published() has %d messages after the partial failure, want %d", n, len(entries)-len(tt.wantFailed))
			}

			// Re-sending only the failed entries delivers them: each message
			// is then recorded exactly once.
			out, err = client.PublishBatch(t.Context(), &sns.PublishBatchInput{TopicArn: aws.String(testTopic), PublishBatchRequestEntries: failed})
			if err != nil || len(out.Failed) != 0 {
				t.Fatalf("re-sending the failed entries: %v, Failed %d", err, len(out.Failed))
			}
			seen := map[string]int{}
			for _, m := range fake.Published() {
				seen[m.BatchEntryID]++
			}
			for _, e := range entries {
				if seen[aws.ToString(e.Id)] != 1 {
					t.Errorf("entry %s delivered %d times, want 1", aws.ToString(e.Id), seen[aws.ToString(e.Id)])
				}
			}
		})
	}
}

func TestPublishedIsSafeForConcurrentPublishers(t *testing.T) {
	fake, client := newSNSClient(t)
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := client.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(testTopic), Message: aws.String("m")})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Publish: %v", err)
		}
	}
	ids := map[string]bool{}
	for _, m := range fake.Published() {
		ids[m.MessageID] = true
	}
	if len(ids) != n || fake.Requests() != n {
		t.Errorf("%d distinct messages after %d requests, want %d of each", len(ids), fake.Requests(), n)
	}
}

// TestRequestChecks sends raw requests the SDK never would, to check that
// the fake rejects what SNS rejects before reading the parameters.
func TestRequestChecks(t *testing.T) {
	fake := NewSNS(t, testTopic)
	form := url.Values{"Action": {"Publish"}, "Version": {snsVersion}, "TopicArn": {testTopic}, "Message": {"m"}}
	signed := "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	tests := []struct {
		name   string
		auth   string
		form   url.Values
		status int
		code   string
	}{
		{"unsigned", "", form, http.StatusForbidden, "MissingAuthenticationToken"},
		{"signed for another service", strings.Replace(signed, "/sns/", "/sqs/", 1), form, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"no signature", strings.Replace(signed, ", Signature=abc", "", 1), form, http.StatusForbidden, "IncompleteSignature"},
		{"unknown action", signed, url.Values{"Action": {"CreateTopic"}, "Version": {snsVersion}}, http.StatusBadRequest, "InvalidAction"},
		{"wrong version", signed, url.Values{"Action": {"Publish"}, "Version": {"2012-11-05"}}, http.StatusBadRequest, "InvalidParameterValue"},
		{"signed and valid", signed, form, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, fake.URL(), strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var doc errorResponse
			if resp.StatusCode != http.StatusOK {
				if err := xml.NewDecoder(resp.Body).Decode(&doc); err != nil {
					t.Fatalf("error body: %v", err)
				}
			}
			if resp.StatusCode != tt.status || doc.Code != tt.code {
				t.Errorf("answered %d %q, want %d %q", resp.StatusCode, doc.Code, tt.status, tt.code)
			}
		})
	}
}

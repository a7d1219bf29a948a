package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Message is one message the SNS fake accepted, as decoded from the SDK's
// request: what subscribers would receive.
type Message struct {
	// MessageID is the ID the fake answered with.
	MessageID string
	TopicARN  string
	// BatchEntryID is the entry's Id for a message sent with PublishBatch,
	// empty for Publish.
	BatchEntryID     string
	Message          string
	MessageStructure string
	Subject          string
	Attributes       map[string]Attribute
}

// Attribute is a message attribute, which subscribers' filter policies match.
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// Structured decodes a MessageStructure=json message into its per-protocol
// bodies ("default", "email", "sms", ...).
func (m Message) Structured() (map[string]string, error) {
	if m.MessageStructure != "json" {
		return nil, fmt.Errorf("message %s has MessageStructure %q, not json", m.MessageID, m.MessageStructure)
	}
	var bodies map[string]string
	if err := json.Unmarshal([]byte(m.Message), &bodies); err != nil {
		return nil, fmt.Errorf("message %s: %w", m.MessageID, err)
	}
	return bodies, nil
}

// SNS limits (Publish API reference).
const (
	// maxPublishBytes bounds a message plus its attributes, and a whole batch.
	maxPublishBytes = 256 * 1024
	// maxSubjectChars: the API reference says "less than 100 characters";
	// the project, like Alertmanager's SNS notifier, relies on 100 passing.
	maxSubjectChars = 100
	maxBatchEntries = 10
)

// decodeMessage reads one message's parameters, found under prefix ("" for
// Publish, "PublishBatchRequestEntries.member.N." for a batch entry).
func decodeMessage(form url.Values, prefix string) (Message, *apiError) {
	m := Message{
		Message:          form.Get(prefix + "Message"),
		MessageStructure: form.Get(prefix + "MessageStructure"),
		Subject:          form.Get(prefix + "Subject"),
		Attributes:       map[string]Attribute{},
	}
	// MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue,Value.BinaryValue}
	for n := 1; ; n++ {
		entry := fmt.Sprintf("%sMessageAttributes.entry.%d.", prefix, n)
		name, ok := form[entry+"Name"]
		if !ok {
			break
		}
		a := Attribute{
			DataType:    form.Get(entry + "Value.DataType"),
			StringValue: form.Get(entry + "Value.StringValue"),
		}
		if b64 := form.Get(entry + "Value.BinaryValue"); b64 != "" {
			bin, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return m, &apiError{http.StatusBadRequest, "ParameterValueInvalid", fmt.Sprintf("The message attribute '%s' has an invalid binary value.", name[0])}
			}
			a.BinaryValue = bin
		}
		m.Attributes[name[0]] = a
	}
	_, subjectSet := form[prefix+"Subject"]
	return m, validateMessage(m, subjectSet)
}

// validateMessage checks a message as SNS does before accepting it.
// subjectSet: the request had a Subject parameter (an empty one is invalid).
func validateMessage(m Message, subjectSet bool) *apiError {
	if m.Message == "" {
		return invalidParameter("Invalid parameter: Empty message")
	}
	switch m.MessageStructure {
	case "":
	case "json":
		var bodies map[string]json.RawMessage
		if json.Unmarshal([]byte(m.Message), &bodies) != nil {
			return invalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse")
		}
		var def string
		if raw, ok := bodies["default"]; !ok || json.Unmarshal(raw, &def) != nil {
			return invalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
		}
	default:
		return invalidParameter("Invalid parameter: MessageStructure")
	}
	if subjectSet && !validSubject(m.Subject) {
		return invalidParameter("Invalid parameter: Subject")
	}
	for name, a := range m.Attributes {
		if err := validateAttribute(name, a); err != nil {
			return err
		}
	}
	if m.size() > maxPublishBytes {
		return invalidParameter("Invalid parameter: Message too long")
	}
	return nil
}

// size is what SNS counts against its limit: the message and its
// attributes' names, types and values.
func (m Message) size() int {
	n := len(m.Message)
	for name, a := range m.Attributes {
		n += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// validSubject: at most maxSubjectChars printable ASCII characters, which
// also rules out line breaks and control characters.
func validSubject(s string) bool {
	if s == "" || len(s) > maxSubjectChars {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

var attributeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

func validateAttribute(name string, a Attribute) *apiError {
	invalid := func(format string, args ...any) *apiError {
		return &apiError{http.StatusBadRequest, "ParameterValueInvalid", fmt.Sprintf(format, args...)}
	}
	lower := strings.ToLower(name)
	if !attributeName.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
		strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return invalid("The message attribute name '%s' is invalid. Attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.", name)
	}
	kind, _, _ := strings.Cut(a.DataType, ".")
	switch kind {
	case "String", "Number":
		if a.StringValue == "" {
			return invalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
		}
		if kind == "Number" {
			if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
				return invalid("Could not cast message attribute '%s' value to number.", name)
			}
		}
	case "Binary":
		if len(a.BinaryValue) == 0 {
			return invalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
		}
	default:
		return invalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
	}
	return nil
}

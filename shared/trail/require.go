package trail

// fieldValues maps the JSON paths callers may require to their value in a record.
var fieldValues = map[string]func(*Record) string{
	"eventVersion":       func(r *Record) string { return r.EventVersion },
	"eventTime":          func(r *Record) string { return r.EventTime },
	"eventSource":        func(r *Record) string { return r.EventSource },
	"eventName":          func(r *Record) string { return r.EventName },
	"eventID":            func(r *Record) string { return r.EventID },
	"eventType":          func(r *Record) string { return r.EventType },
	"awsRegion":          func(r *Record) string { return r.AWSRegion },
	"sourceIPAddress":    func(r *Record) string { return r.SourceIPAddress },
	"recipientAccountId": func(r *Record) string { return r.RecipientAccountID },
	"userIdentity.type":  func(r *Record) string { return r.UserIdentity.Type },
}

// Require reports the first of the named fields that is missing or empty (or, for eventTime,
// not a time), as a FieldError under prefix ("detail" for an EventBridge event). Requiring a
// field Require does not know is a programming error and panics.
func (r *Record) Require(prefix string, fields ...string) error {
	for _, f := range fields {
		get, ok := fieldValues[f]
		if !ok {
			panic("trail: Require of unknown field " + f)
		}
		if get(r) == "" {
			return malformed(prefix, &FieldError{Field: f, Problem: "missing"})
		}
		if f == "eventTime" {
			if _, err := r.Time(); err != nil {
				return malformed(prefix, err)
			}
		}
	}
	return nil
}

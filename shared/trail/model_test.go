package trail

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestFields(t *testing.T) {
	fields := Fields()
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f] {
			t.Errorf("field %s listed twice", f)
		}
		seen[f] = true
	}
	for _, want := range []string{"eventTime", "eventID", "userIdentity", "userIdentity.type",
		"userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.sessionContext.attributes.mfaAuthenticated",
		"userIdentity.onBehalfOf.userId", "resources", "resources.ARN", "tlsDetails.cipherSuite", "requestParameters"} {
		if !seen[want] {
			t.Errorf("Fields lacks %s", want)
		}
	}
	for _, notWanted := range []string{"OddFields", "EventIDDerived", "resources.Unparsed", "readOnly.Value", "requestParameters.bucketName"} {
		if seen[notWanted] {
			t.Errorf("Fields lists %s, which JSON never sees", notWanted)
		}
	}
	for path, want := range map[string]reflect.Type{
		"userAgent": reflect.TypeFor[string](), "readOnly": reflect.TypeFor[Bool](), "userIdentity": reflect.TypeFor[UserIdentity](),
		"userIdentity.sessionContext": reflect.TypeFor[*SessionContext](), "resources": reflect.TypeFor[[]Resource](),
	} {
		if got, ok := FieldType(path); !ok || got != want {
			t.Errorf("FieldType(%s) = %v, %v; want %v", path, got, ok, want)
		}
	}
	if !IsRawPayload("requestParameters") || IsRawPayload("userAgent") || IsRawPayload("nope") {
		t.Error("IsRawPayload misjudges requestParameters, userAgent or an unknown path")
	}
}

// good is a well-typed console sign-in record; tests replace parts of it.
const good = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice","sessionContext":{"attributes":{"creationDate":"2026-11-20T09:00:00Z","mfaAuthenticated":"false"}}},` +
	`"eventTime":"2026-11-20T09:45:19Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"Mozilla/5.0",` +
	`"requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventID":"e1","readOnly":false,"eventType":"AwsConsoleSignIn",` +
	`"managementEvent":true,"recipientAccountId":"111122223333","resources":[{"ARN":"arn:aws:iam::111122223333:user/alice","type":"AWS::IAM::User"}],"tlsDetails":{"tlsVersion":"TLSv1.3"}}`

// TestOddFieldsAreDroppedRecordKept: a field of an unexpected JSON type is dropped and named,
// the rest of the record decodes as it would have, and only a field Check needs makes the
// record unusable.
func TestOddFieldsAreDroppedRecordKept(t *testing.T) {
	tests := []struct {
		name, from, to string
		wantOdd        []string
		wantCheck      string // field Check names, "" for usable
	}{
		{"well typed", "", "", nil, ""},
		{"numeric userAgent", `"userAgent":"Mozilla/5.0"`, `"userAgent":5`, []string{"userAgent"}, ""},
		{"tlsDetails a string", `"tlsDetails":{"tlsVersion":"TLSv1.3"}`, `"tlsDetails":"x"`, []string{"tlsDetails"}, ""},
		{"resources a string", `"resources":[{`, `"resources":"x","r":[{`, []string{"resources"}, ""},
		{"readOnly not a boolean", `"readOnly":false`, `"readOnly":"maybe"`, []string{"readOnly"}, ""},
		{"nested: mfaAuthenticated", `"mfaAuthenticated":"false"`, `"mfaAuthenticated":"perhaps"`, []string{"userIdentity.sessionContext.attributes.mfaAuthenticated"}, ""},
		{"two odd fields", `"userAgent":"Mozilla/5.0","requestParameters"`, `"userAgent":[],"awsRegion":7,"requestParameters"`, []string{"awsRegion", "userAgent"}, ""},
		{"identity type mistyped: the ARN still names the caller", `"type":"IAMUser"`, `"type":["IAMUser"]`, []string{"userIdentity.type"}, ""},
		{"userIdentity not an object", `"userIdentity":{`, `"userIdentity":"alice","x":{`, []string{"userIdentity"}, "userIdentity"},
		{"eventTime mistyped", `"eventTime":"2026-11-20T09:45:19Z"`, `"eventTime":20261120`, []string{"eventTime"}, "eventTime"},
		{"eventName mistyped", `"eventName":"ConsoleLogin"`, `"eventName":5`, []string{"eventName"}, "eventName"},
		{"eventID mistyped: derived", `"eventID":"e1"`, `"eventID":1`, []string{"eventID"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(good, tt.from, tt.to, 1)
			if tt.from != "" && in == good {
				t.Fatalf("edit %q not applied", tt.from)
			}
			for _, wrapped := range []bool{false, true} {
				var rec *Record
				if wrapped {
					ev, err := DecodeEvent([]byte(`{"source":"aws.signin","detail-type":"AWS Console Sign In via CloudTrail","detail":` + in + `}`))
					if err != nil {
						t.Fatalf("DecodeEvent: %v", err)
					}
					if len(ev.OddFields) != 0 {
						t.Errorf("envelope odd fields %v", ev.OddFields)
					}
					rec = ev.Detail
				} else {
					var err error
					if rec, err = DecodeRecord([]byte(in)); err != nil {
						t.Fatalf("DecodeRecord: %v", err)
					}
				}
				odd := slices.Sorted(slices.Values(rec.OddFields))
				if !slices.Equal(odd, tt.wantOdd) {
					t.Errorf("wrapped=%v: OddFields %v, want %v", wrapped, odd, tt.wantOdd)
				}
				// What was not odd decoded as in the well-typed record.
				if !slices.Contains(tt.wantOdd, "sourceIPAddress") && rec.SourceIPAddress != "203.0.113.9" {
					t.Errorf("sourceIPAddress %q", rec.SourceIPAddress)
				}
				if !slices.Contains(tt.wantOdd, "userIdentity") && rec.UserIdentity.ARN != "arn:aws:iam::111122223333:user/alice" {
					t.Errorf("userIdentity.arn %q", rec.UserIdentity.ARN)
				}
				if string(rec.ResponseElements) != `{"ConsoleLogin":"Success"}` {
					t.Errorf("responseElements %s", rec.ResponseElements)
				}
				err := rec.Check()
				if tt.wantCheck == "" {
					if err != nil {
						t.Errorf("Check: %v, want usable", err)
					}
					continue
				}
				var fe *FieldError
				if !errors.Is(err, ErrMalformed) || !errors.As(err, &fe) || fe.Field != tt.wantCheck {
					t.Errorf("Check = %v, want unusable naming %s", err, tt.wantCheck)
				}
			}
		})
	}
}

func TestNotAnObjectIsMalformed(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,2]`, `"record"`, `{"eventName":"x",}`} {
		if _, err := DecodeRecord([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeRecord(%q) = %v, want ErrMalformed", in, err)
		}
	}
}

func TestCheck(t *testing.T) {
	id := UserIdentity{Type: "Root", ARN: "arn:aws:iam::111122223333:root"}
	tests := []struct {
		name      string
		rec       Record
		wantField string
	}{
		{"usable", Record{EventTime: "2026-11-20T09:45:19Z", EventName: "StopLogging", UserIdentity: id}, ""},
		{"export-form time", Record{EventTime: "2026-11-20 09:45:19", EventName: "StopLogging", UserIdentity: id}, ""},
		{"export-form time with fraction", Record{EventTime: "2026-11-20 09:45:19.123", EventName: "StopLogging", UserIdentity: id}, ""},
		{"no event ID is fine", Record{EventTime: "2026-11-20T09:45:19.5Z", EventName: "x", UserIdentity: UserIdentity{Type: "AWSService", InvokedBy: "s3.amazonaws.com"}}, ""},
		{"principal without a type", Record{EventTime: "2026-11-20T09:45:19Z", EventName: "x", UserIdentity: UserIdentity{PrincipalID: "AIDAEXAMPLE"}}, ""},
		{"type without a principal", Record{EventTime: "2026-11-20T09:45:19Z", EventName: "x", UserIdentity: UserIdentity{Type: "Unknown"}}, ""},
		{"no time", Record{EventName: "x", UserIdentity: id}, "eventTime"},
		{"not a time", Record{EventTime: "yesterday", EventName: "x", UserIdentity: id}, "eventTime"},
		{"impossible date", Record{EventTime: "2026-02-31T10:00:00Z", EventName: "x", UserIdentity: id}, "eventTime"},
		{"no event name", Record{EventTime: "2026-11-20T09:45:19Z", UserIdentity: id}, "eventName"},
		{"no identity", Record{EventTime: "2026-11-20T09:45:19Z", EventName: "x"}, "userIdentity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rec.Check()
			if tt.wantField == "" {
				if err != nil || !tt.rec.Usable() {
					t.Fatalf("Check = %v, want usable", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField || !errors.Is(err, ErrMalformed) || tt.rec.Usable() {
				t.Fatalf("Check = %v, want unusable naming %s", err, tt.wantField)
			}
			ev := &Event{Detail: &tt.rec}
			if err := ev.Check(); !errors.As(err, &fe) || fe.Field != "detail."+tt.wantField {
				t.Errorf("Event.Check = %v, want it under detail", err)
			}
		})
	}
}

// TestDerivedEventID: a record without eventID gets an ID from its content that is the same
// however the record was delivered (bare or in EventBridge, compact or indented, request keys in
// any order, time in RFC 3339 or export form), and differs for a different call.
func TestDerivedEventID(t *testing.T) {
	base := `{"eventTime":"2026-11-20T11:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1",` +
		`"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice"},"sourceIPAddress":"203.0.113.9",` +
		`"requestParameters":{"name":"management-events","x":[1,2.50]},"requestID":"r1","recipientAccountId":"111122223333"}`
	id := func(t *testing.T, rec string, wrapped bool) string {
		t.Helper()
		if wrapped {
			ev, err := DecodeEvent([]byte(`{"source":"aws.cloudtrail","detail-type":"AWS API Call via CloudTrail","id":"envelope-1","detail":` + rec + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if !ev.Detail.EventIDDerived {
				t.Error("EventIDDerived not set")
			}
			return ev.Detail.EventID
		}
		r, err := DecodeRecord([]byte(rec))
		if err != nil {
			t.Fatal(err)
		}
		return r.EventID
	}
	want := id(t, base, false)
	if !strings.HasPrefix(want, DerivedIDPrefix) || len(want) != len(DerivedIDPrefix)+32 {
		t.Fatalf("derived ID %q", want)
	}
	same := map[string]string{
		"in EventBridge":       base,
		"indented":             strings.ReplaceAll(base, `,"`, ",\n  \""),
		"request keys swapped": strings.Replace(base, `{"name":"management-events","x":[1,2.50]}`, `{ "x": [1, 2.50], "name": "management-events" }`, 1),
		"export-form time":     strings.Replace(base, `2026-11-20T11:00:00Z`, `2026-11-20 11:00:00.000`, 1),
		"odd userAgent":        strings.Replace(base, `"requestID"`, `"userAgent":5,"requestID"`, 1),
	}
	for name, rec := range same {
		if got := id(t, rec, name == "in EventBridge"); got != want {
			t.Errorf("%s: ID %s, want %s", name, got, want)
		}
	}
	for name, rec := range map[string]string{
		"other request":    strings.Replace(base, `management-events`, `data-events`, 1),
		"other second":     strings.Replace(base, `11:00:00Z`, `11:00:01Z`, 1),
		"other principal":  strings.Replace(base, `Admin/alice`, `Admin/bob`, 1),
		"other request ID": strings.Replace(base, `"r1"`, `"r2"`, 1),
	} {
		if got := id(t, rec, false); got == want {
			t.Errorf("%s: same ID as the original", name)
		}
	}
	r, err := DecodeRecord([]byte(strings.Replace(base, `"requestID"`, `"eventID":"e-9","requestID"`, 1)))
	if err != nil || r.EventID != "e-9" || r.EventIDDerived {
		t.Errorf("record with an eventID: %q derived=%v %v", r.EventID, r.EventIDDerived, err)
	}
}

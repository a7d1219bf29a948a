package counters

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// checkFields fails when the parser accepts a record, does not call it ambiguous, and keeps a
// prefilter field (rules.PrefilterFields) other than trail.DecodeRecord reads it: the rules'
// prefilter would then judge a record by the wrong values. So it does when the parser says it
// located the payloads (PayloadsLocated) and one of them, or a non-empty eventID, is not the
// decoder's. A value that is not valid UTF-8 as
// kept (the decoder repairs it) is left out: the prefilter's literals are valid UTF-8 without
// U+FFFD, so it compares the same either way.
func checkFields(t *testing.T, b []byte) (accepted, ambiguous bool) {
	t.Helper()
	var p Parser
	in := append(bytes.Clone(b), "                "...)
	end, err := p.Parse(in, 0)
	if err != nil {
		return false, false
	}
	if p.Ambiguous() {
		return true, true
	}
	rec, err := trail.DecodeRecord(in[:end])
	if err != nil {
		t.Fatalf("parser accepted %q, trail.DecodeRecord refused it: %v", in[:end], err)
	}
	got, want := rules.PrefilterValues(p.Fields()), rules.PrefilterValues(rec)
	for i := range got {
		if got[i] != want[i] && utf8.ValidString(got[i]) {
			t.Fatalf("record %q: %s kept as %q, decoded as %q", in[:end], rules.PrefilterFields[i], got[i], want[i])
		}
	}
	// The rest of an alert's fingerprint (rules.Detector.Fingerprints), and of the alert
	// (rules.Detector.KnownAlerts).
	kept := p.Fields()
	for _, f := range []struct{ name, got, want string }{
		{"account", kept.Account(), rec.Account()},
		{"principal", kept.UserIdentity.Principal(), rec.UserIdentity.Principal()},
		{"user", kept.UserIdentity.Name(), rec.UserIdentity.Name()},
		{"cloud", kept.Cloud, rec.Cloud},
		{"region", kept.AWSRegion, rec.AWSRegion},
		{"userAgent", kept.UserAgent, rec.UserAgent},
		{"eventTime", kept.EventTime, rec.EventTime},
	} {
		if f.got != f.want && utf8.ValidString(f.got) {
			t.Fatalf("record %q: %s kept as %q, decoded as %q", in[:end], f.name, f.got, f.want)
		}
	}
	// The payloads and eventID, where the parser located them: the decoder's too.
	if p.PayloadsLocated() {
		for _, f := range []struct {
			name      string
			got, want []byte
		}{
			{"requestParameters", kept.RequestParameters, rec.RequestParameters},
			{"responseElements", kept.ResponseElements, rec.ResponseElements},
			{"additionalEventData", kept.AdditionalEventData, rec.AdditionalEventData},
			{"serviceEventDetails", kept.ServiceEventDetails, rec.ServiceEventDetails},
			{"addendum", kept.Addendum, rec.Addendum},
			{"edgeDeviceDetails", kept.EdgeDeviceDetails, rec.EdgeDeviceDetails},
			{"insightDetails", kept.InsightDetails, rec.InsightDetails},
		} {
			if string(f.got) != string(f.want) {
				t.Fatalf("record %q: %s located as %q, decoded as %q", in[:end], f.name, f.got, f.want)
			}
		}
		if kept.EventID != "" && kept.EventID != rec.EventID {
			t.Fatalf("record %q: eventID located as %q, decoded as %q", in[:end], kept.EventID, rec.EventID)
		}
	}
	return true, false
}

const fieldsRecord = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice",` +
	`"accountId":"111122223333","userName":"alice","invokedBy":"x.amazonaws.com"},"eventTime":"2026-11-20T07:58:43Z",` +
	`"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9",` +
	`"errorCode":"AccessDenied","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`

// TestParserFieldsAgreeWithDecode: the parser's kept fields are the decoder's, and a record
// whose keys a decoder could read otherwise (case, escapes, non-ASCII, duplicates) is ambiguous.
func TestParserFieldsAgreeWithDecode(t *testing.T) {
	tests := []struct {
		name, rec string
		ambiguous bool
	}{
		{"plain", fieldsRecord, false},
		{"escaped values", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"Stop\u004cogging","eventSource":"cloudtrail.amazonaws.com","recipientAccountId":"1","userIdentity":{"type":"R\u006fot"}}`, false},
		{"nulls", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","errorCode":null,"recipientAccountId":"1","userIdentity":{"type":null,"invokedBy":null}}`, false},
		{"null identity", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":null}`, false},
		{"value then null", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","errorCode":"AccessDenied","errorCode":null,"recipientAccountId":"1"}`, false},
		{"case-folded key", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"GetObject","EventName":"StopLogging","recipientAccountId":"1"}`, true},
		{"case-folded identity key", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"TYPE":"Root"}}`, true},
		{"case-folded identity", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","useridentity":{"type":"Root"}}`, true},
		{"escaped key", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"GetObject","event\u004eame":"StopLogging","recipientAccountId":"1"}`, true},
		{"escaped long key", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"type":"IAMUser"},"event\u0053ource":"iam.amazonaws.com"}`, true},
		{"Kelvin sign", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"invo` + "\u212a" + `edBy":"x"}}`, true},
		{"duplicate", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"GetObject","eventName":"StopLogging","recipientAccountId":"1"}`, true},
		{"cloud", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","cloud":"huawei","userIdentity":{"type":"Root"}}`, false},
		{"null cloud", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","cloud":null,"userIdentity":{"type":"Root"}}`, false},
		{"cloud not a string", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","cloud":7,"userIdentity":{"type":"Root"}}`, true},
		{"case-folded cloud", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","Cloud":"huawei","userIdentity":{"type":"Root"}}`, true},
		{"on behalf of", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1","identityStoreArn":"a"}}}`, false},
		{"case-folded on behalf of", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"UserID":"u-1"}}}`, true},
		{"on behalf of twice", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"},"onBehalfOf":{}}}`, true},
		{"payloads and eventID", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"type":"Root"},"requestParameters":{"a":[1,"}"]},"responseElements":null,"addendum":"s","eventID":"e-1"}`, false},
		{"duplicate identity", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"type":"IAMUser"},"userIdentity":{"arn":"a"}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accepted, ambiguous := checkFields(t, []byte(tt.rec))
			if !accepted {
				t.Fatal("parser refused the record")
			}
			if ambiguous != tt.ambiguous {
				t.Errorf("ambiguous %t, want %t", ambiguous, tt.ambiguous)
			}
		})
	}
}

// FuzzParserFields: on any record the parser accepts and does not call ambiguous, its kept
// prefilter fields are trail.DecodeRecord's, and so are the payloads and eventID it located.
func FuzzParserFields(f *testing.F) {
	f.Add([]byte(fieldsRecord))
	f.Fuzz(func(t *testing.T, b []byte) { checkFields(t, b) })
}

package counters

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/trail"
)

func TestParserFieldRules(t *testing.T) {
	const (
		iamUser = `"userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"}`
		role    = `"userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:ci","arn":"arn:aws:sts::111122223333:assumed-role/deploy/ci","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/deploy","accountId":"111122223333"},"attributes":{"creationDate":"2026-11-20T07:00:00Z","mfaAuthenticated":"false"}}}`
		root    = `"userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}`
		noARN   = `"userIdentity":{"type":"IAMUser","principalId":"AIDANOARN","accountId":"444455556666"}`
		service = `"userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`
		center  = `"userIdentity":{"type":"IdentityCenterUser","arn":"","accountId":"111122223333","onBehalfOf":{"userId":"f4e8a4c8-c0a1-70b5","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-93670a1b2c"},"credentialId":"6e2b"}`
	)
	base := `"eventTime":"2026-11-20T07:58:43Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","eventType":"AwsApiCall"`
	tests := []struct {
		name string
		rec  string
		want Key
		err  string // a field the error names
	}{
		{name: "IAM user: ARN, identity account", rec: `{` + base + `,` + iamUser + `}`,
			want: Key{"2026-11-20T07", "111122223333", "arn:aws:iam::111122223333:user/alice", "203.0.113.9", "GetObject", "", "", "AwsApiCall", "eu-west-1", "s3.amazonaws.com", ""}},
		{name: "assumed role, recipient account wins, first typed resource", rec: `{` + base + `,` + role + `,"errorCode":"AccessDenied","recipientAccountId":"999988887777","resources":[{"ARN":"x"},{"type":""},{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"},{"type":"AWS::S3::Bucket"}]}`,
			want: Key{"2026-11-20T07", "999988887777", "arn:aws:sts::111122223333:assumed-role/deploy/ci", "203.0.113.9", "GetObject", "AWS::S3::Object", "AccessDenied", "AwsApiCall", "eu-west-1", "s3.amazonaws.com", ""}},
		{name: "root", rec: `{` + base + `,` + root + `}`,
			want: Key{"2026-11-20T07", "111122223333", "arn:aws:iam::111122223333:root", "203.0.113.9", "GetObject", "", "", "AwsApiCall", "eu-west-1", "s3.amazonaws.com", ""}},
		{name: "no ARN: principal ID", rec: `{` + base + `,` + noARN + `}`,
			want: Key{"2026-11-20T07", "444455556666", "AIDANOARN", "203.0.113.9", "GetObject", "", "", "AwsApiCall", "eu-west-1", "s3.amazonaws.com", ""}},
		{name: "AWS service: invoking service, recipient account", rec: `{"eventTime":"2026-11-20T23:59:59Z","eventName":"AssumeRole","sourceIPAddress":"cloudtrail.amazonaws.com","eventType":"AwsApiCall",` + service + `,"recipientAccountId":"111122223333"}`,
			want: Key{"2026-11-20T23", "111122223333", "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com", "AssumeRole", "", "", "AwsApiCall", "", "", ""}},
		{name: "Identity Center user", rec: `{"eventTime":"2026-11-20T16:05:22Z","eventName":"UserAuthentication","sourceIPAddress":"2001:db8::44","eventType":"AwsServiceEvent",` + center + `,"recipientAccountId":"111122223333"}`,
			want: Key{"2026-11-20T16", "111122223333", "f4e8a4c8-c0a1-70b5", "2001:db8::44", "UserAuthentication", "", "", "AwsServiceEvent", "", "", ""}},
		{name: "AWS Internal, nulls, other fields of every type", rec: `{"eventTime":"2026-11-20T07:00:00Z","eventName":"Decrypt","sourceIPAddress":"AWS Internal","errorCode":null,"resources":null,"requestParameters":{"a":[1,-2.5e3,true,false,null,{"b":"\u00e9"}]},"readOnly":true,` + iamUser + `}`,
			want: Key{"2026-11-20T07", "111122223333", "arn:aws:iam::111122223333:user/alice", "AWS Internal", "Decrypt", "", "", "", "", "", ""}},
		{name: "offset time in UTC", rec: `{"eventTime":"2026-11-20T01:30:00+02:00","eventName":"X",` + iamUser + `}`,
			want: Key{"2026-11-19T23", "111122223333", "arn:aws:iam::111122223333:user/alice", "", "X", "", "", "", "", "", ""}},
		{name: "fractional seconds", rec: `{"eventTime":"2026-11-20T07:58:43.123Z","eventName":"X",` + iamUser + `}`,
			want: Key{"2026-11-20T07", "111122223333", "arn:aws:iam::111122223333:user/alice", "", "X", "", "", "", "", "", ""}},
		{name: "escaped strings decoded", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"Get\u004fbject","sourceIPAddress":"a\"b\\c","userIdentity":{"arn":"arn:aws:iam::111122223333:user\/a\u00e9"},"recipientAccountId":"111122223333"}`,
			want: Key{"2026-11-20T07", "111122223333", "arn:aws:iam::111122223333:user/aé", `a"b\c`, "GetObject", "", "", "", "", "", ""}},
		{name: "whitespace everywhere", rec: " {\n \"eventTime\" : \"2026-11-20T07:58:43Z\" ,\t\"eventName\":\"X\" , \"userIdentity\" : { \"accountId\" : \"1\" } } ",
			want: Key{"2026-11-20T07", "1", "", "", "X", "", "", "", "", "", ""}},
		{name: "another cloud's record: region, service and cloud kept", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventSource":"ecs.aliyuncs.com","eventName":"StopInstance","awsRegion":"cn-hangzhou","cloud":"alibaba","recipientAccountId":"1234567890"}`,
			want: Key{"2026-11-20T07", "1234567890", "", "", "StopInstance", "", "", "", "cn-hangzhou", "ecs.aliyuncs.com", "alibaba"}},
		{name: "region of another type: counted without it", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","awsRegion":7,` + iamUser + `}`,
			want: Key{"2026-11-20T07", "111122223333", "arn:aws:iam::111122223333:user/alice", "", "X", "", "", "", "", "", ""}},
		{name: "missing eventTime", rec: `{"eventName":"X",` + iamUser + `}`, err: "eventTime"},
		{name: "export form eventTime, UTC", rec: `{"eventTime":"2025-01-21 17:49:47.000000000","eventName":"X",` + iamUser + `}`,
			want: Key{"2025-01-21T17", "111122223333", "arn:aws:iam::111122223333:user/alice", "", "X", "", "", "", "", "", ""}},
		{name: "eventTime not a time", rec: `{"eventTime":"21/01/2025 17:49","eventName":"X",` + iamUser + `}`, err: "eventTime"},
		{name: "eventTime an impossible date", rec: `{"eventTime":"2026-02-31T07:58:43Z","eventName":"X",` + iamUser + `}`, err: "eventTime"},
		{name: "eventTime out of range", rec: `{"eventTime":"2026-13-20T07:58:43Z","eventName":"X",` + iamUser + `}`, err: "eventTime"},
		{name: "eventTime a number", rec: `{"eventTime":1732089523,"eventName":"X",` + iamUser + `}`, err: "eventTime"},
		{name: "missing eventName", rec: `{"eventTime":"2026-11-20T07:58:43Z",` + iamUser + `}`, err: "eventName"},
		{name: "empty eventName", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"",` + iamUser + `}`, err: "eventName"},
		{name: "no account", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","userIdentity":{"type":"AWSService","invokedBy":"s3.amazonaws.com"}}`, err: "recipientAccountId"},
		{name: "identity ARN an object", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","userIdentity":{"arn":{}},"recipientAccountId":"1"}`, err: "userIdentity.arn"},
		{name: "userIdentity an array", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","userIdentity":[],"recipientAccountId":"1"}`, err: "object"},
		{name: "invalid JSON in an unneeded object", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","requestParameters":{"a":tru},` + iamUser + `}`, err: "literal"},
		{name: "trailing comma", rec: `{"eventTime":"2026-11-20T07:58:43Z","eventName":"X",` + iamUser + `,}`, err: "object key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			b := []byte(tt.rec)
			end, err := p.Parse(b, 0)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if logfile.SkipSpace(b, end) != len(b) {
				t.Errorf("parse ended at %d of %d", end, len(b))
			}
			if got := p.Record().Key; got != tt.want {
				t.Errorf("key\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParserNeedsMoreInput: cut anywhere, a record asks for more input instead of failing.
func TestParserNeedsMoreInput(t *testing.T) {
	rec := []byte(`{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","n":-12.5e3,"t":true,"userIdentity":{"arn":"a\u00e9","onBehalfOf":{"userId":"u"}},"resources":[{"type":"T"}],"recipientAccountId":"1"}`)
	for cut := 0; cut < len(rec); cut++ {
		var p Parser
		if _, err := p.Parse(rec[:cut], 0); err != logfile.ErrShort {
			t.Fatalf("cut at %d (%q): error %v, want ErrShort", cut, rec[:cut], err)
		}
	}
}

// TestParserAgreesWithTrailOnCorpus: on every corpus record, the lean parser's fields are the
// ones the full decoder (shared/trail) and its field rules give, and it rejects exactly the
// records those rules cannot count.
func TestParserAgreesWithTrailOnCorpus(t *testing.T) {
	f, err := os.Open("../../testdata/corpus/cloudtrail-records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var compared, rejected int
	for line := 1; sc.Scan(); line++ {
		var entry struct {
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		full, ferr := trail.DecodeRecord(entry.Record)
		var p Parser
		_, perr := p.Parse(entry.Record, 0)
		if ferr != nil {
			if perr == nil {
				t.Errorf("line %d: trail rejects the record (%v), the parser accepts it", line, ferr)
			}
			continue
		}
		tm, terr := full.Time()
		countable := terr == nil && full.EventName != "" && full.Account() != ""
		if !countable {
			if perr == nil {
				t.Errorf("line %d: not countable by trail's rules, the parser accepts it", line)
			}
			rejected++
			continue
		}
		if perr != nil {
			t.Errorf("line %d: parser rejects a countable record: %v", line, perr)
			continue
		}
		var rtype string
		for _, r := range full.Resources {
			if r.Type != "" {
				rtype = r.Type
				break
			}
		}
		want := Key{tm.UTC().Format(HourLayout), full.Account(), full.UserIdentity.Principal(), full.SourceIPAddress,
			full.EventName, rtype, full.ErrorCode, full.EventType, full.AWSRegion, full.EventSource, full.Cloud}
		if got := p.Record().Key; got != want {
			t.Errorf("line %d:\n got %+v\nwant %+v", line, got, want)
		}
		compared++
	}
	if compared < 300 {
		t.Errorf("only %d corpus records compared", compared)
	}
	t.Logf("%d records compared, %d not countable", compared, rejected)
}

func TestParserErrorsAreMalformedThroughTheReader(t *testing.T) {
	in := `{"Records":[{"eventTime":"2026-11-20T07:58:43Z","eventName":"A","recipientAccountId":"1"},{"eventName":"B"},{"eventTime":"2026-11-20T07:58:43Z","eventName":"C","recipientAccountId":"1"}]}`
	lr, err := logfile.NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var p Parser
	var names []string
	malformed := 0
	for {
		_, err := lr.NextFunc(p.Parse)
		if err != nil && !errors.Is(err, trail.ErrMalformed) {
			break
		}
		if err != nil {
			malformed++
			continue
		}
		names = append(names, p.Record().EventName)
	}
	if strings.Join(names, ",") != "A,C" || malformed != 1 {
		t.Errorf("records %v, malformed %d; want A,C and 1", names, malformed)
	}
}

// FuzzParser: whatever the input, the parser does not panic, and what it accepts is one valid
// JSON object whose counter fields are the ones its keys give (matched exactly, as CloudTrail
// writes them and as Python's json reads them; Go's decoders would also match "Arn" to arn).
func FuzzParser(f *testing.F) {
	for _, s := range []string{
		`{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","accountId":"1"},"resources":[{"type":"T"}]}`,
		`{"eventTime":"2026-11-20T07:58:43Z","eventName":"X","recipientAccountId":"1","userIdentity":{"onBehalfOf":{"userId":"u"}},"sourceIPAddress":"a\"b"}`,
		`{"eventTime":"2026-11-20T07:58:43+01:00","eventName":"\u0058","recipientAccountId":"1","requestParameters":{"a":[1,true,null,-2e3]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Parser
		in := append(bytes.Clone(b), "                "...)
		end, err := p.Parse(in, 0)
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(in[:end], &m); err != nil {
			t.Fatalf("accepted %q, not a JSON object: %v", in[:end], err)
		}
		str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
		obj := func(m map[string]any, k string) map[string]any { o, _ := m[k].(map[string]any); return o }
		id := obj(m, "userIdentity")
		account := str(m, "recipientAccountId")
		if account == "" {
			account = str(id, "accountId")
		}
		principal := str(id, "arn")
		for _, alt := range []string{str(id, "principalId"), str(obj(id, "onBehalfOf"), "userId"), str(id, "invokedBy"), str(id, "userName")} {
			if principal == "" {
				principal = alt
			}
		}
		var rtype string
		list, _ := m["resources"].([]any)
		for _, r := range list {
			if o, _ := r.(map[string]any); str(o, "type") != "" {
				rtype = str(o, "type")
				break
			}
		}
		tm, terr := trail.ParseTime(str(m, "eventTime")) // the one definition of a valid time
		want := Key{tm.UTC().Format(HourLayout), account, principal, str(m, "sourceIPAddress"), str(m, "eventName"), rtype, str(m, "errorCode"), str(m, "eventType"),
			str(m, "awsRegion"), str(m, "eventSource"), str(m, "cloud")}
		tl := NewTally() // the tally repairs invalid UTF-8 the way json.Unmarshal does
		tl.Add(&p.Record().Key)
		if got := tl.Rows()[0].Key; terr != nil || got != want {
			t.Fatalf("record %q:\n parser %+v\n want   %+v (time error %v)", in[:end], got, want, terr)
		}
	})
}

// TestRefusedRecordsHandedOut: a record the counters refuse on a field (a kept field of another
// type, an impossible date, no account) is still whole, valid JSON: the reader hands it out
// with its error, so the detection rules can still read it. Invalid JSON is not handed out.
func TestRefusedRecordsHandedOut(t *testing.T) {
	const ok = `{"eventTime":"2026-11-20T07:58:43Z","eventName":"A","recipientAccountId":"1"}`
	for _, tt := range []struct{ name, rec, field string }{
		{"source address a number", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"B","sourceIPAddress":203,"recipientAccountId":"1","userAgent":"x"}`, "sourceIPAddress"},
		{"identity ARN an object", `{"eventTime":"2026-11-20T07:58:43Z","userIdentity":{"arn":{"a":[1]},"type":"IAMUser"},"eventName":"B","recipientAccountId":"1"}`, "userIdentity.arn"},
		{"impossible date", `{"eventTime":"2026-02-31T07:58:43Z","eventName":"B","recipientAccountId":"1"}`, "eventTime"},
		{"no account", `{"eventTime":"2026-11-20T07:58:43Z","eventName":"B"}`, "recipientAccountId"},
		{"invalid JSON", `{"eventTime":"2026-11-20T07:58:43Z","eventName":tru}`, ""},
	} {
		for _, format := range []string{"envelope", "lines"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				in := `{"Records":[` + ok + `,` + tt.rec + `,` + ok + `]}`
				if format == "lines" {
					in = ok + "\n" + tt.rec + "\n" + ok + "\n"
				}
				lr, err := logfile.NewReader(strings.NewReader(in))
				if err != nil {
					t.Fatal(err)
				}
				var p Parser
				var got []string
				for {
					_, err := lr.NextFunc(p.Parse)
					var re *logfile.RecordError
					if errors.As(err, &re) {
						var fe *trail.FieldError
						if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
							t.Errorf("error %v, want one naming %s", err, tt.field)
						}
						got = append(got, "refused:"+string(re.Record))
						continue
					}
					if err != nil {
						break
					}
					got = append(got, p.Record().EventName)
				}
				want := []string{"A", "refused:" + tt.rec, "A"}
				if tt.field == "" {
					want[1] = "refused:"
				}
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("got %q\nwant %q", got, want)
				}
			})
		}
	}
}

// TestParserPayloadsPerRecord: the payloads and eventID Fields holds are the last record's,
// never an earlier one's, and PayloadsLocated is false until a record was parsed, and after
// invalid JSON. (rules.TestParserLocatesPayloadsAsLocatePayloads holds them to the rules'
// locatePayloads on every kind of record.)
func TestParserPayloadsPerRecord(t *testing.T) {
	const (
		head  = `{"eventTime":"2026-11-20T07:58:43Z","eventName":"RunInstances","recipientAccountId":"1"`
		full  = head + `,"requestParameters":{"instanceType":"t3.micro"},"responseElements":null,"insightDetails":[1],"eventID":"e-1"}`
		bare  = head + `}`
		twice = head + `,"addendum":{},"addendum":{}}`
	)
	var p Parser
	if p.PayloadsLocated() {
		t.Fatal("PayloadsLocated before any record")
	}
	type want struct {
		located                bool
		request, response, ins string
		eventID                string
	}
	for _, step := range []struct {
		rec     string
		invalid bool // invalid JSON: Parse fails
		want    want
	}{
		{full, false, want{true, `{"instanceType":"t3.micro"}`, "null", "[1]", "e-1"}},
		{bare, false, want{true, "", "", "", ""}},
		{full, false, want{true, `{"instanceType":"t3.micro"}`, "null", "[1]", "e-1"}},
		{twice, false, want{}},
		{full, false, want{true, `{"instanceType":"t3.micro"}`, "null", "[1]", "e-1"}},
		{head + `,"requestParameters":{"a":tru}}`, true, want{}},
	} {
		_, err := p.Parse([]byte(step.rec), 0)
		if (err != nil) != step.invalid {
			t.Fatalf("%s: Parse: %v", step.rec, err)
		}
		f := p.Fields()
		got := want{p.PayloadsLocated(), string(f.RequestParameters), string(f.ResponseElements), string(f.InsightDetails), f.EventID}
		if got != step.want {
			t.Fatalf("%s:\n got %+v\nwant %+v", step.rec, got, step.want)
		}
		if f.AdditionalEventData != nil || f.ServiceEventDetails != nil || f.Addendum != nil || f.EdgeDeviceDetails != nil {
			t.Fatalf("%s: a payload the record lacks is set", step.rec)
		}
		if !got.located && (f.RequestParameters != nil || f.ResponseElements != nil || f.InsightDetails != nil || f.EventID != "") {
			t.Fatalf("%s: not located, but payloads are set", step.rec)
		}
	}
}

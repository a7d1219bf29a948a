package rules

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// String renders a cond for tests: and(…), or(…), not(…), if(…), eventName=="x",
// eventName in [a b], errorCode^"p" (startsWith), $"s" (endsWith), ~"c" (contains), ? (unknown).
func (c *cond) String() string {
	args := func() string {
		var parts []string
		for _, a := range c.args {
			parts = append(parts, a.String())
		}
		return strings.Join(parts, ", ")
	}
	name := PrefilterFields[c.field]
	switch c.op {
	case opConst:
		return fmt.Sprint(c.lit != "")
	case opAnd:
		return "and(" + args() + ")"
	case opOr:
		return "or(" + args() + ")"
	case opNot:
		return "not(" + args() + ")"
	case opIf:
		return "if(" + args() + ")"
	case opEq:
		return fmt.Sprintf("%s==%q", name, c.lit)
	case opIn:
		return name + " in " + setString(c.set)
	case opPrefix:
		return fmt.Sprintf("%s^%q", name, c.lit)
	case opSuffix:
		return fmt.Sprintf("%s$%q", name, c.lit)
	case opContains:
		return fmt.Sprintf("%s~%q", name, c.lit)
	}
	return "?"
}

func compileCond(t testing.TB, when string) *cond {
	t.Helper()
	env, _, err := newEnv(TrustedAccounts{})
	if err != nil {
		t.Fatal(err)
	}
	checked, err := checkExpr(env, when, true)
	if err != nil {
		t.Fatal(err)
	}
	return condOf(checked)
}

// TestPrefilterReadsConditions: what the prefilter makes of conditions, and which event names
// it pins them to (the index).
func TestPrefilterReadsConditions(t *testing.T) {
	tests := []struct {
		when, cond string
		names      string // sorted set, "*" for none pinned
	}{
		{`event.eventSource == "cloudtrail.amazonaws.com" && event.eventName in ["StopLogging", "DeleteTrail"] && missing(event.errorCode)`,
			`and(eventSource=="cloudtrail.amazonaws.com", eventName in [DeleteTrail StopLogging], errorCode=="")`, "[DeleteTrail StopLogging]"},
		{`"ConsoleLogin" == event.eventName`, `eventName=="ConsoleLogin"`, "[ConsoleLogin]"},
		{`event.eventName == "A" || event.eventName == "B"`, `or(eventName=="A", eventName=="B")`, "[A B]"},
		{`event.eventName == "A" || event.awsRegion == "x"`, `or(eventName=="A", ?)`, "*"},
		{`(event.eventName == "A" && event.awsRegion == "x") && event.eventSource == "s"`, `and(eventName=="A", ?, eventSource=="s")`, "[A]"},
		{`event.eventName in ["A", "B"] && event.eventName in ["B", "C"]`, `and(eventName in [A B], eventName in [B C])`, "[B]"},
		{`event.eventName in ["A", event.awsRegion]`, `?`, "*"},
		{`!(event.eventName == "A")`, `not(eventName=="A")`, "*"},
		{`event.errorCode != ""`, `not(errorCode=="")`, "*"},
		{`event.userIdentity.type == "Root" && missing(event.userIdentity.invokedBy) && event.eventType != "AwsServiceEvent"`,
			`and(userIdentity.type=="Root", userIdentity.invokedBy=="", not(eventType=="AwsServiceEvent"))`, "*"},
		{`(event.errorCode.endsWith("UnauthorizedOperation") || event.errorCode.startsWith("AccessDenied")) && event.eventName.contains("Get")`,
			`and(or(errorCode$"UnauthorizedOperation", errorCode^"AccessDenied"), eventName~"Get")`, "*"},
		{`has(event.userIdentity.invokedBy) && !missing(event.requestParameters.userName)`, `and(not(userIdentity.invokedBy==""), ?)`, "*"},
		{`event.userIdentity.type == "IAMUser" ? event.eventName == "A" : event.eventName == "B"`,
			`if(userIdentity.type=="IAMUser", eventName=="A", eventName=="B")`, "*"},
		{`event.userIdentity.sessionContext.sessionIssuer.type == "Role"`, `?`, "*"}, // not a prefilter field
		{`event.eventName == "A\uFFFD"`, `?`, "*"},                                   // a literal a repaired field could equal
		{`true && event.eventName == "A"`, `and(true, eventName=="A")`, "[A]"},
	}
	for _, tt := range tests {
		c := compileCond(t, tt.when)
		if got := c.String(); got != tt.cond {
			t.Errorf("%s:\n read as %s\n want    %s", tt.when, got, tt.cond)
		}
		if got := setString(c.names()); got != tt.names {
			t.Errorf("%s: names %s, want %s", tt.when, got, tt.names)
		}
	}
}

// TestPrefilterIndexesOtherFields: a rule the event name does not pin is found by the first
// other field it pins (source, identity type, error code, event type), else tried on every
// record; a record is run through the rules its name, its values and nothing leave possible,
// in rule order.
func TestPrefilterIndexesOtherFields(t *testing.T) {
	whens := []string{
		`event.eventSource == "lambda.amazonaws.com" && event.eventName.startsWith("UpdateFunctionCode")`, // 0: by source
		`event.eventName == "ConsoleLogin"`,                                                        // 1: by name
		`event.userIdentity.type == "Root" && event.eventType != "AwsServiceEvent"`,                // 2: by identity type
		`event.errorCode in ["AccessDenied", "UnauthorizedOperation"]`,                             // 3: by error code
		`event.errorCode.startsWith("AccessDenied")`,                                               // 4: free
		`event.eventSource in ["iam.amazonaws.com", "kms.amazonaws.com"] && event.errorCode != ""`, // 5: by source
		`event.eventName == "ConsoleLogin" || event.eventSource == "signin.amazonaws.com"`,         // 6: free (the or pins neither field alone)
	}
	e := &Engine{}
	for i, w := range whens {
		e.rules = append(e.rules, &compiledRule{rule: &Rule{ID: fmt.Sprint(i)}, filter: compileCond(t, w)})
	}
	e.index = newPrefilterIndex(e.rules)
	if !slices.Equal(e.index.free, []int{4, 6}) || !slices.Equal(e.index.unpinned, []int{0, 2, 3, 4, 5, 6}) {
		t.Errorf("free %v, unpinned by name %v", e.index.free, e.index.unpinned)
	}
	tests := []struct {
		rec  trail.Record
		want []int // admitted, in rule order
	}{
		{trail.Record{EventSource: "lambda.amazonaws.com", EventName: "UpdateFunctionCode20150331v2"}, []int{0}},
		{trail.Record{EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", UserIdentity: trail.UserIdentity{Type: "Root"}}, []int{1, 2, 6}},
		{trail.Record{EventSource: "iam.amazonaws.com", EventName: "CreateUser", ErrorCode: "AccessDenied"}, []int{3, 4, 5}},
		{trail.Record{EventSource: "s3.amazonaws.com", EventName: "GetObject", ErrorCode: "AccessDeniedException"}, []int{4}},
		{trail.Record{EventSource: "s3.amazonaws.com", EventName: "GetObject"}, nil},
	}
	for _, tc := range tests {
		var got []int
		for c := range e.admitted(&tc.rec) {
			i, _ := strconv.Atoi(c.rule.ID)
			got = append(got, i)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: admitted %v, want %v", tc.rec.EventSource, tc.rec.EventName, got, tc.want)
		}
	}
}

// TestPrefilterThreeValued: a condition is skipped (false) only where CEL would say false; a
// part the prefilter cannot read keeps it unknown, under negation too.
func TestPrefilterThreeValued(t *testing.T) {
	rec := &trail.Record{EventSource: "iam.amazonaws.com", EventName: "CreateUser", ErrorCode: "AccessDenied",
		UserIdentity: trail.UserIdentity{Type: "IAMUser"}}
	tests := []struct {
		when string
		want tri
	}{
		{`event.eventName == "CreateUser"`, isTrue},
		{`event.eventName == "DeleteUser"`, isFalse},
		{`event.eventName == "DeleteUser" && event.awsRegion == "x"`, isFalse},
		{`event.eventName == "CreateUser" && event.awsRegion == "x"`, unknown},
		{`!(event.eventName == "CreateUser" && event.awsRegion == "x")`, unknown},
		{`!(event.eventName == "DeleteUser" && event.awsRegion == "x")`, isTrue},
		{`event.eventName == "DeleteUser" || event.awsRegion == "x"`, unknown},
		{`event.eventName == "CreateUser" || event.awsRegion == "x"`, isTrue},
		{`event.eventName == "DeleteUser" || event.eventSource == "s3.amazonaws.com"`, isFalse},
		{`missing(event.errorCode)`, isFalse},
		{`event.errorCode.startsWith("Access") && event.userIdentity.type in ["IAMUser", "Root"]`, isTrue},
		{`event.errorCode.endsWith("UnauthorizedOperation")`, isFalse},
		{`event.userIdentity.type == "Root" ? event.awsRegion == "x" : event.eventName == "X"`, isFalse},
		{`event.awsRegion == "x" ? event.eventName == "X" : event.eventName == "Y"`, unknown}, // the condition may fail
		{`event.awsRegion == "x" ? event.eventName == "CreateUser" : event.eventName == "CreateUser"`, unknown},
		{`event.eventName == "CreateUser" ? event.errorCode == "AccessDenied" : event.awsRegion == "x"`, isTrue},
		{`event.awsRegion == "x" ? event.eventName == "X" : event.eventName == "CreateUser"`, unknown},
	}
	for _, tt := range tests {
		if got := compileCond(t, tt.when).eval(rec); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.when, got, tt.want)
		}
	}
}

func setString(m map[string]bool) string {
	if m == nil {
		return "*"
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}

// packRecords compiles the built-in pack (read from the repository) and returns it with every
// rule's test events as records.
func packRecords(t testing.TB) (*Engine, []*trail.Record) {
	t.Helper()
	e, err := Selection{}.BuildWithTests(os.DirFS("../../rules"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*trail.Record
	for _, c := range e.rules {
		for _, tc := range c.rule.Tests {
			rec, err := testRecord(tc)
			if err != nil {
				t.Fatalf("%s: %s: %v", c.rule.ID, tc.Name, err)
			}
			recs = append(recs, rec)
		}
	}
	return e, recs
}

// checkSound fails when a rule the prefilter skips on rec would have matched it or failed on
// it, and when Evaluate, which runs only admitted rules, differs from running them all; and
// when Detector.Fingerprints, given rec's kept fields only, says what its alerts are but
// Evaluate finds other matches, fails, or their alerts have other fingerprints. It reports
// whether Fingerprints said.
func checkSound(t *testing.T, e *Engine, rec *trail.Record) (known bool) {
	t.Helper()
	defer func() { known = checkFingerprints(t, e, rec) }()
	admitted := e.Admitted(rec)
	for _, c := range e.rules {
		got, err := c.eval(&activation{ev: &eventValue{rec: rec}})
		if (got || err != nil) && !slices.Contains(admitted, c.rule) {
			raw, _ := json.Marshal(rec)
			t.Fatalf("rule %s: the prefilter skips a record it matches (%t) or fails on (%v): %s", c.rule.ID, got, err, raw)
		}
	}
	if e.Admits(rec) != (len(admitted) > 0) {
		t.Fatalf("Admits %t, Admitted %d rules", e.Admits(rec), len(admitted))
	}
	return false
}

// checkFingerprints is checkSound's part on Detector.Fingerprints.
func checkFingerprints(t *testing.T, e *Engine, rec *trail.Record) bool {
	t.Helper()
	kept := &trail.Record{EventTime: rec.EventTime, Cloud: rec.Cloud}
	for f, v := range PrefilterValues(rec) {
		setField(kept, field(f), v)
	}
	kept.UserIdentity.OnBehalfOf = rec.UserIdentity.OnBehalfOf
	prints, ok := (&Detector{Engine: e}).Fingerprints(kept, []string{"before"})
	if prints[0] != "before" {
		t.Fatalf("Fingerprints did not append: %v", prints)
	}
	if !ok {
		if len(prints) != 1 {
			t.Fatalf("Fingerprints not known, but appended %v", prints)
		}
		return false
	}
	matches, err := e.Evaluate(rec)
	raw, _ := json.Marshal(rec)
	if err != nil {
		t.Fatalf("Fingerprints known, but a rule fails: %v: %s", err, raw)
	}
	want := []string{"before"}
	for _, m := range matches {
		if m.Rule.HasThreshold() {
			t.Fatalf("Fingerprints known, but threshold rule %s matches: %s", m.Rule.ID, raw)
		}
		a := m.Alert(rec)
		want = append(want, a.Fingerprint())
	}
	if !slices.Equal(prints, want) {
		t.Fatalf("Fingerprints %v, the alerts' %v: %s", prints, want, raw)
	}
	return true
}

// TestPrefilterNeverSkipsAMatch: over every test event of the pack, and over 20,000 records
// made from them by changing their prefilter fields to values drawn from the pack's literals
// and the events themselves (near misses: the right call failing, another identity type, an
// error code that almost matches), no rule the prefilter skips matches or fails, and where
// Detector.Fingerprints says from the kept fields what the alerts are, they are.
func TestPrefilterNeverSkipsAMatch(t *testing.T) {
	e, recs := packRecords(t)
	pool := make([][]string, numFields)
	known := 0
	for _, rec := range recs {
		for f, v := range PrefilterValues(rec) {
			pool[f] = append(pool[f], v)
		}
		if checkSound(t, e, rec) {
			known++
		}
	}
	var lits []string
	for _, c := range e.rules {
		collectLiterals(c.filter, &lits)
	}
	for f := range pool {
		pool[f] = append(pool[f], "", "x")
		for _, l := range lits {
			pool[f] = append(pool[f], l, l+"x", "x"+l, strings.ToLower(l))
		}
	}
	rng := rand.New(rand.NewPCG(13, 1))
	for range 20_000 {
		rec := *recs[rng.IntN(len(recs))]
		for range 1 + rng.IntN(4) {
			f := field(rng.IntN(int(numFields)))
			setField(&rec, f, pool[f][rng.IntN(len(pool[f]))])
		}
		if checkSound(t, e, &rec) {
			known++
		}
	}
	if known == 0 {
		t.Error("Fingerprints never known: the check checks nothing")
	}
	t.Logf("Fingerprints known on %d records", known)
}

func collectLiterals(c *cond, out *[]string) {
	if c.lit != "" {
		*out = append(*out, c.lit)
	}
	for k := range c.set {
		*out = append(*out, k)
	}
	for _, a := range c.args {
		collectLiterals(a, out)
	}
}

func setField(rec *trail.Record, f field, v string) {
	ptrs := [numFields]*string{&rec.EventSource, &rec.EventName, &rec.EventType, &rec.ErrorCode, &rec.SourceIPAddress,
		&rec.RecipientAccountID, &rec.UserIdentity.Type, &rec.UserIdentity.ARN, &rec.UserIdentity.PrincipalID,
		&rec.UserIdentity.AccountID, &rec.UserIdentity.UserName, &rec.UserIdentity.InvokedBy}
	*ptrs[f] = v
}

// FuzzPrefilterNeverSkipsAMatch: on any record that decodes, no pack rule the prefilter
// skips matches or fails. Seeds: the pack's test events (testdata/fuzz).
func FuzzPrefilterNeverSkipsAMatch(f *testing.F) {
	e, recs := packRecords(f)
	for _, rec := range recs[:min(len(recs), 8)] {
		raw, _ := json.Marshal(rec)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, err := trail.DecodeRecord(raw)
		if err != nil {
			return
		}
		checkSound(t, e, rec)
	})
}

package pack_test

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// corpusPath is the project's copy of the CloudTrail record corpus (see its README and
// LICENSE): records from the test logs of Panther's public CloudTrail detections.
const corpusPath = "../testdata/corpus/cloudtrail-records.jsonl"

// sameBehaviour maps each corpus source rule (Panther's) to the built-in rule that targets
// the same behaviour; on their records, our result must equal the record's "expected".
var sameBehaviour = map[string]string{
	// The behaviours the issue names.
	"AWS.Root.Activity":              "root-account-usage",
	"AWS.CloudTrail.Stopped":         "cloudtrail-logging-stopped",
	"AWS.Console.LoginWithoutMFA":    "console-sign-in-without-mfa",
	"AWS.EC2.SecurityGroupModified":  "security-group-changed",
	"AWS.KMS.CustomerManagedKeyLoss": "kms-key-disabled-or-deleted",
	"AWS.S3.BucketPolicyModified":    "s3-bucket-policy-changed",
	// The other CIS monitoring controls the corpus covers.
	"AWS.CloudTrail.UnauthorizedAPICall": "unauthorized-sensitive-api-call", // its records are IAM denials
	"AWS.Console.RootLogin":              "root-account-usage",
	"AWS.Console.RootLoginFailed":        "console-auth-failure",
	"AWS.IAM.PolicyModified":             "iam-policy-changed",
	"AWS.CloudTrail.Created":             "cloudtrail-config-changed",
	"AWS.ConfigService.DisabledDeleted":  "aws-config-disabled",
	"AWS.ConfigService.Created":          "aws-config-changed",
	"AWS.EC2.NetworkACLModified":         "network-acl-changed",
	"AWS.EC2.GatewayModified":            "network-gateway-changed",
	"AWS.EC2.RouteTableModified":         "route-table-changed",
	"AWS.EC2.VPCModified":                "vpc-changed",
}

// knownDisagreements are the mapped corpus records where our rule, following the CIS
// benchmark, decides differently from the corpus's expected result ("rule / test" → why).
var knownDisagreements = map[string]string{
	"AWS.Console.LoginWithoutMFA / No MFA Login - New User":                           "the record is a successful IAM-user sign-in without MFA; Panther spares it with state kept outside the record (the user was created moments before)",
	"AWS.Root.Activity / Root Activity - CreateServiceLinkedRole":                     "CIS 4.3 counts every root call; Panther allow-lists CreateServiceLinkedRole",
	"AWS.Root.Activity / Root User Failed Activity":                                   "CIS 4.3 counts root attempts that fail (here a refused ExternalIdPDirectoryLogin); Panther counts only successful ones",
	"AWS.Root.Activity / Root Read-Only Enumeration":                                  "CIS 4.3 counts read-only root calls (ListAccessKeys); Panther skips read-only events",
	"AWS.CloudTrail.UnauthorizedAPICall / Unauthorized API Call from Within AWS (IP)": "the denied call was made by signin.amazonaws.com on the user's behalf (userIdentity.invokedBy), which the pack leaves out as noise (issue 12); Panther counts it",
}

type corpusLine struct {
	Rule     string          `json:"rule"`
	Test     string          `json:"test"`
	Expected bool            `json:"expected"`
	Record   json.RawMessage `json:"record"`
}

func readCorpus(t testing.TB) []corpusLine {
	t.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l corpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s:%d: %v", corpusPath, n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	return out
}

// TestCorpus runs the whole pack over every corpus record: no rule may fail to evaluate on
// any of them, and on the records of a same-behaviour source rule ours must agree with the
// record's expected result, but for the listed known disagreements (which must still disagree,
// so the list stays true).
func TestCorpus(t *testing.T) {
	e := compilePack(t)
	seenSource := map[string]bool{}
	seenKey := map[string]int{}
	for i, l := range readCorpus(t) {
		rec, err := trail.DecodeRecord(l.Record)
		if err != nil {
			t.Errorf("line %d (%s / %s): record does not decode: %v", i+1, l.Rule, l.Test, err)
			continue
		}
		matches, err := e.Evaluate(rec)
		if err != nil {
			t.Errorf("line %d (%s / %s): %v", i+1, l.Rule, l.Test, err)
		}
		ours, mapped := sameBehaviour[l.Rule]
		if !mapped {
			continue
		}
		seenSource[l.Rule] = true
		key := l.Rule + " / " + l.Test
		seenKey[key]++
		got := matched(matches, ours)
		why, known := knownDisagreements[key]
		switch {
		case known && got == l.Expected:
			t.Errorf("line %d (%s): listed as a known disagreement (%s) but %s now agrees (%t): remove it from the list", i+1, key, why, ours, got)
		case !known && got != l.Expected:
			t.Errorf("line %d (%s): %s returned %t, the corpus expects %t", i+1, key, ours, got, l.Expected)
		}
	}
	for src := range sameBehaviour {
		if !seenSource[src] {
			t.Errorf("mapped source rule %s has no record in the corpus", src)
		}
	}
	for key := range knownDisagreements {
		if seenKey[key] != 1 {
			t.Errorf("known disagreement %q names %d corpus records, want exactly 1", key, seenKey[key])
		}
	}
}

func matched(ms []rules.Match, id string) bool {
	for _, m := range ms {
		if m.Rule.ID == id {
			return true
		}
	}
	return false
}

package pack_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/internal/trailgen"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/logfile"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// routineAllowed are the records of routine data on which the pack raises a MEDIUM or HIGH
// alert because the record really shows the behaviour the rule is about, keyed
// "trailgen / <rule>" for the generated trail (its records are random, so by rule) and
// "<corpus source rule> / <test> / <rule>" for a corpus record. Nothing else of routine
// activity may page or ask for a look today.
var routineAllowed = map[string]string{
	// The generated trail.
	"trailgen / root-account-usage":              "trailgen's identities include every account's root user, about a fifth of the calls; each root call is CIS 4.3's finding (a real organization makes a handful)",
	"trailgen / unauthorized-sensitive-api-call": "trailgen's root users call about 160 times in 10 minutes each with the generator's uniform error rate, so some are refused 5 IAM/KMS calls in a window: a root user refused IAM calls again and again is worth a look",

	// Corpus records a Panther rule must not match that show another behaviour of the pack.
	"AWS.CloudTrail.ShortLifecycle / Disabled 1-Day Lifecycle Rule on Known CT Bucket / s3-bucket-policy-changed":         "PutBucketLifecycle took effect: one of CIS 4.8's bucket configuration changes",
	"AWS.CloudTrail.ShortLifecycle / 730-Day Lifecycle Rule on Known CT Bucket / s3-bucket-policy-changed":                "PutBucketLifecycle took effect: one of CIS 4.8's bucket configuration changes",
	"AWS.CloudTrail.Stopped / CloudTrail Was Started / cloudtrail-config-changed":                                         "StartLogging is one of CIS 4.5's trail configuration changes",
	"AWS.ConfigService.Created / Config Recorder Deleted / aws-config-disabled":                                           "DeleteDeliveryChannel: AWS Config stops delivering (CIS 4.9)",
	"AWS.ConfigService.DisabledDeleted / Config Recorder Delivery Channel Created / aws-config-changed":                   "PutDeliveryChannel is a CIS 4.9 configuration change",
	"AWS.Console.LoginWithoutMFA / No MFA Login - New User / console-sign-in-without-mfa":                                 "a successful IAM-user sign-in with MFAUsed No (CIS 4.2; see knownDisagreements)",
	"AWS.Console.RootLoginFailed / Successful Login / console-sign-in-without-mfa":                                        "a successful root sign-in with MFAUsed No",
	"AWS.Console.RootLoginFailed / Successful Login / root-account-usage":                                                 "a root sign-in (CIS 4.3)",
	"AWS.IAM.AttachAdminRolePolicy / IAM Role Policy Attached without Administrator Access / iam-policy-changed":          "AttachRolePolicy (CIS 4.4)",
	"AWS.IAM.AttachAdminUserPolicy / IAM User Policy Attached without Administrator Access / iam-policy-changed":          "AttachUserPolicy (CIS 4.4)",
	"AWS.CloudTrail.IAMCompromisedKeyQuarantine / PutUserPolicy-false / iam-policy-changed":                               "PutUserPolicy (CIS 4.4)",
	"AWS.IAM.CreateRole / IAM Role Not Created / iam-policy-changed":                                                      "AttachUserPolicy (CIS 4.4)",
	"AWS.IAM.CreateRole / IAM Role Not Created / iam-user-granted-admin":                                                  "AttachUserPolicy of AdministratorAccess to user new-user: an IAM user made administrator",
	"AWS.IAM.CreateUser / IAM User Not Created / iam-policy-changed":                                                      "AttachUserPolicy (CIS 4.4)",
	"AWS.IAM.CreateUser / IAM User Not Created / iam-user-granted-admin":                                                  "AttachUserPolicy of AdministratorAccess to user new-user: an IAM user made administrator",
	"AWS.IAM.AccessKeyCompromised / Request Param is null / iam-policy-changed":                                           "PutUserPolicy (CIS 4.4)",
	"AWS.CloudTrail.ResourceMadePublic / S3 Not Made Publicly Accessible / s3-bucket-policy-changed":                      "PutBucketPolicy took effect (CIS 4.8), public or not",
	"AWS.CloudTrail.ResourceMadePublic / Null Request Parameters / s3-bucket-policy-changed":                              "PutBucketPolicy took effect (CIS 4.8)",
	"AWS.CloudTrail.ResourceMadePublic / Invalid JSON Policy (Should Not Alert) / s3-bucket-policy-changed":               "PutBucketPolicy took effect (CIS 4.8), whatever the policy text",
	"AWS.CloudTrail.ResourceMadePublic / All Restrictive Conditions Types (Should Not Alert) / s3-bucket-policy-changed":  "PutBucketPolicy took effect (CIS 4.8), however restrictive",
	"AWS.CloudTrail.RootAccessKeyCreated / Root Created Access Key For User / iam-access-key-for-other-user":              "root created an access key for example-user: a key minted for another user",
	"AWS.Root.Activity / Root Activity - CreateServiceLinkedRole / root-account-usage":                                    "a root call (CIS 4.3; see knownDisagreements)",
	"AWS.Root.Activity / Root Read-Only Enumeration / root-account-usage":                                                 "a root call (CIS 4.3; see knownDisagreements)",
	"AWS.CloudTrail.RootPasswordChanged / Root Password Change Failed / root-account-usage":                               "a root attempt (CIS 4.3 counts failed ones)",
	"AWS.S3.DeleteBucketReplication / Different S3 Event / s3-bucket-policy-changed":                                      "PutBucketReplication took effect (CIS 4.8)",
	"AWS.SSM.DistributedCommand / Single Command Send, No Cached IDs / ssm-send-command":                                  "SendCommand ran a command on an instance: the execution the rule reports (Panther waits for many instances)",
	"AWS.User.Login.Profile.Modified / User changed password for other reset required / iam-login-profile-for-other-user": "UpdateLoginProfile of another user's console password",
}

// urgent reports whether an alert asks for more than a review.
func urgent(a alert.Alert) bool { return a.Severity == alert.High || a.Severity == alert.Medium }

// TestRoutineTrailRaisesNothingUrgent: the generated benchmark trail (internal/trailgen: the
// calls, identities and sources of a busy organization, no attack), through the log-file path,
// raises no alert above LOW.
func TestRoutineTrailRaisesNothingUrgent(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the 200,000-record benchmark trail")
	}
	path, err := trailgen.BenchFile(1, trailgen.BenchRecords)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := rules.NewDetector(compilePack(t), &rules.MemoryCounter{})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := logfile.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var p counters.Parser
	used := map[string]bool{}
	byRule := map[string]int{}
	example := map[string]string{}
	for {
		raw, err := lr.NextFunc(p.Parse)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("record %d: %v", lr.Records(), err)
		}
		alerts, err := d.DetectJSON(context.Background(), raw)
		if err != nil {
			t.Fatalf("record %d: %v", lr.Records(), err)
		}
		for _, a := range alerts {
			key := "trailgen / " + a.Kind
			if !urgent(a) {
				continue
			}
			if routineAllowed[key] != "" {
				used[key] = true
				continue
			}
			if byRule[a.Kind]++; example[a.Kind] == "" {
				example[a.Kind] = string(raw)
			}
		}
	}
	for _, id := range sortedKeys(byRule) {
		t.Errorf("%s raised %d alerts on the routine trail, e.g. on %s", id, byRule[id], example[id])
	}
	for key := range routineAllowed {
		if strings.HasPrefix(key, "trailgen / ") && !used[key] {
			t.Errorf("routineAllowed names %q, which raises nothing urgent on the trail now: remove it", key)
		}
	}
}

// TestCorpusNegativesRaiseNothingUrgent: the corpus records that their source rule must not
// match (routine look-alikes), each through the real-time path, raise no alert above LOW but
// for routineAllowed.
func TestCorpusNegativesRaiseNothingUrgent(t *testing.T) {
	e := compilePack(t)
	used := map[string]bool{}
	for i, l := range readCorpus(t) {
		if l.Expected {
			continue
		}
		d, err := rules.NewDetector(e, &rules.MemoryCounter{})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := trail.DecodeRecord(l.Record)
		if err != nil {
			continue // TestCorpus reports it
		}
		if rec.EventID == "" {
			rec.EventID = fmt.Sprint("corpus-", i+1)
		}
		alerts, _ := d.Detect(context.Background(), rec)
		for _, a := range alerts {
			if !urgent(a) {
				continue
			}
			key := l.Rule + " / " + l.Test + " / " + a.Kind
			if routineAllowed[key] != "" {
				used[key] = true
				continue
			}
			raw, _ := json.Marshal(l.Record)
			t.Errorf("line %d (%s): %s raised %s %s on a routine record: %s", i+1, key, a.Kind, a.Severity, a.Title, raw)
		}
	}
	for key := range routineAllowed {
		if !used[key] && !strings.HasPrefix(key, "trailgen / ") {
			t.Errorf("routineAllowed names %q, which raises nothing urgent now: remove it", key)
		}
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

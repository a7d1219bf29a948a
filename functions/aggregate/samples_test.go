package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailguard/trailguard/internal/trailgen"
)

var update = flag.Bool("update", false, "rewrite the sample log files under events/aggregate/data")

const sampleDir = "../../events/aggregate/data"

// The sample trail: account 111122223333's trail and organization o-aa111bb222's member
// 444455556666, documentation addresses. An attacker at 203.0.113.66 fails to sign in 3 + 3
// times to the first account and 2 times to the second, and a CI role is denied 12 + 10 times:
// the second file crosses both thresholds (5 and 20), the third crosses nothing again.
var (
	sampleStart    = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	sampleAttacker = "203.0.113.66"
	sampleCI       = trailgen.Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/deploy-pipeline/codebuild-7",
		PrincipalID: "AROA3XFRBF535PLBIFPI4:codebuild-7", AccountID: "111122223333",
		Issuer: "arn:aws:iam::111122223333:role/deploy-pipeline", Principal: "arn:aws:sts::111122223333:assumed-role/deploy-pipeline/codebuild-7"}
	sampleAlice = trailgen.Identity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", PrincipalID: "AIDACKCEVSQ6C2EXAMPLE",
		AccountID: "111122223333", UserName: "alice", Principal: "arn:aws:iam::111122223333:user/alice"}
)

// sampleFile is one sample log file: its key and its records, in order.
type sampleFile struct {
	key     string
	records func(g *trailgen.Generator) [][]byte
}

var sampleFiles = []sampleFile{
	{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0805Z_Kq3dZ8rW1xYb7TmN.json.gz",
		func(g *trailgen.Generator) [][]byte {
			recs := background(g, "111122223333", 30, 0)
			recs = append(recs, failedSignIns(g, "111122223333", 3, 2)...)
			recs = append(recs, denied(g, 12, 3)...)
			// A record CloudTrail would never write: counted as malformed, the rest still counts.
			return append(recs, []byte(`{"eventVersion":"1.10","eventTime":1732089600,"eventName":"GetObject"}`))
		}},
	{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20/111122223333_CloudTrail_eu-west-1_20261120T0810Z_p2VfL9cXw4Hs0aQe.json.gz",
		func(g *trailgen.Generator) [][]byte {
			recs := background(g, "111122223333", 20, 8)
			recs = append(recs, failedSignIns(g, "111122223333", 3, 9)...)
			return append(recs, denied(g, 10, 11)...)
		}},
	{"AWSLogs/o-aa111bb222/444455556666/CloudTrail/ap-southeast-2/2026/11/20/444455556666_CloudTrail_ap-southeast-2_20261120T0815Z_Zt8nB3mQy6Rk1LwD.json.gz",
		func(g *trailgen.Generator) [][]byte {
			recs := background(g, "444455556666", 15, 14)
			return append(recs, failedSignIns(g, "444455556666", 2, 15)...)
		}},
}

func background(g *trailgen.Generator, account string, n, minute int) [][]byte {
	var out [][]byte
	for i := range n {
		s := g.Random(1)
		s.Time = sampleStart.Add(time.Duration(minute)*time.Minute + time.Duration(i)*7*time.Second)
		s.Identity = trailgen.MakeIdentity(account, i%10)
		if s.Identity.Type == "AWSService" {
			s.SourceIP = s.Identity.InvokedBy
		}
		s.Account = account
		if s.EventName == "ConsoleLogin" || s.ErrorCode != "" { // keep the rule counts to the planted ones
			s.EventSource, s.EventName, s.EventType, s.ResourceType, s.ErrorCode, s.SignInResult = "ec2.amazonaws.com", "DescribeInstances", "AwsApiCall", "", "", ""
		}
		out = append(out, g.Append(nil, s))
	}
	return out
}

func failedSignIns(g *trailgen.Generator, account string, n, minute int) [][]byte {
	alice := sampleAlice
	alice.ARN = strings.Replace(alice.ARN, "111122223333", account, 1)
	alice.AccountID, alice.Principal = account, alice.ARN
	var out [][]byte
	for i := range n {
		out = append(out, g.Append(nil, trailgen.Spec{
			Time: sampleStart.Add(time.Duration(minute)*time.Minute + time.Duration(i)*11*time.Second), Account: account,
			Identity: alice, SourceIP: sampleAttacker, EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin",
			EventType: "AwsConsoleSignIn", SignInResult: "Failure",
		}))
	}
	return out
}

func denied(g *trailgen.Generator, n, minute int) [][]byte {
	var out [][]byte
	for i := range n {
		out = append(out, g.Append(nil, trailgen.Spec{
			Time: sampleStart.Add(time.Duration(minute)*time.Minute + time.Duration(i)*3*time.Second), Account: "111122223333",
			Identity: sampleCI, SourceIP: "198.51.100.23", EventSource: "iam.amazonaws.com", EventName: "CreateUser",
			EventType: "AwsApiCall", ErrorCode: "AccessDenied", ResourceType: "AWS::IAM::User",
		}))
	}
	return out
}

// sampleTruncated is the first file cut short, as a failed upload or a corrupted copy leaves
// it: the invocation fails (to be retried, then dead-lettered), nothing is counted.
const sampleTruncated = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0820Z_Tr4ncYh8Gf2Lm0Qs.json.gz"

// sampleContent is a sample file's JSON, as CloudTrail writes it: {"Records":[…]} on one line.
func sampleContent(f sampleFile, seed uint64) []byte {
	g := trailgen.New(seed, sampleStart, 1, 10, 12)
	b := []byte(`{"Records":[`)
	for i, r := range f.records(g) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, "]}"...)
}

// TestSampleLogFiles: the committed sample log files are what the generator makes (run with
// -update to rewrite them), and the sample events announce them with their real ETags.
func TestSampleLogFiles(t *testing.T) {
	for i, f := range sampleFiles {
		path := filepath.Join(sampleDir, filepath.FromSlash(f.key))
		want := sampleContent(f, uint64(i+1))
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := trailgen.WriteGzip(path, bytes.NewReader(want)); err != nil {
				t.Fatal(err)
			}
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output: run go test ./functions/aggregate -run TestSampleLogFiles -update", f.key)
		}
		checkETags(t, f.key, raw)
		if i == 0 {
			cut := raw[:len(raw)*6/10]
			path := filepath.Join(sampleDir, filepath.FromSlash(sampleTruncated))
			if *update {
				if err := os.WriteFile(path, cut, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, cut) {
				t.Errorf("%s is not the first file cut short (%v): run with -update", sampleTruncated, err)
			}
			checkETags(t, sampleTruncated, cut)
		}
	}
}

// checkETags: every sample event announcing the file gives its real ETag (its MD5).
func checkETags(t *testing.T, key string, content []byte) {
	t.Helper()
	sum := md5.Sum(content)
	etag := hex.EncodeToString(sum[:])
	events, _ := filepath.Glob("../../events/aggregate/*.json")
	for _, ev := range events {
		b, _ := os.ReadFile(ev)
		if bytes.Contains(b, []byte(filepath.Base(key))) && !bytes.Contains(b, []byte(etag)) {
			t.Errorf("%s announces %s without its ETag %s", ev, filepath.Base(key), etag)
		}
	}
}

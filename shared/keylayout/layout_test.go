package keylayout

import (
	"slices"
	"strings"
	"testing"
)

const (
	acct   = "111122223333"
	member = "444455556666"
)

func TestCloudTrailMatch(t *testing.T) {
	tests := []struct {
		name, key string
		values    []string // nil: no match
		dir       string
	}{
		{"account trail",
			"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/111122223333_CloudTrail_us-east-1_20240514T1015Z_Kq3vYj0pVd3rE8Xw.json.gz",
			[]string{acct, "us-east-1", "2024", "05", "14"}, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/"},
		{"organization trail",
			"AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/444455556666_CloudTrail_eu-west-1_20240514T1020Z_9hTzQw2LmNc4XbVa.json.gz",
			[]string{member, "eu-west-1", "2024", "05", "14"}, "AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/"},
		{"prefix",
			"audit/AWSLogs/111122223333/CloudTrail/ap-southeast-2/2023/12/31/f.json.gz",
			[]string{acct, "ap-southeast-2", "2023", "12", "31"}, "audit/AWSLogs/111122223333/CloudTrail/ap-southeast-2/2023/12/31/"},
		{"deep prefix with space, = and accents",
			"audit logs/env=prod/région-été/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-3/2024/05/14/f.json.gz",
			[]string{member, "eu-west-3", "2024", "05", "14"}, "audit logs/env=prod/région-été/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-3/2024/05/14/"},
		{"AWSLogs twice: the one that fits wins",
			"AWSLogs/copy/AWSLogs/111122223333/CloudTrail/us-gov-west-1/2024/02/29/f.json.gz",
			[]string{acct, "us-gov-west-1", "2024", "02", "29"}, "AWSLogs/copy/AWSLogs/111122223333/CloudTrail/us-gov-west-1/2024/02/29/"},
		{"China region", "AWSLogs/111122223333/CloudTrail/cn-northwest-1/2024/05/14/f.json.gz",
			[]string{acct, "cn-northwest-1", "2024", "05", "14"}, "AWSLogs/111122223333/CloudTrail/cn-northwest-1/2024/05/14/"},
		{"digest file", "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/14/d.json.gz", nil, ""},
		{"insights file", "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/14/i.json.gz", nil, ""},
		{"folder marker", "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/", nil, ""},
		{"day folder without file", "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14", nil, ""},
		{"11-digit account", "AWSLogs/11112222333/CloudTrail/us-east-1/2024/05/14/f.json.gz", nil, ""},
		{"month 13", "AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/14/f.json.gz", nil, ""},
		{"day 32", "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/32/f.json.gz", nil, ""},
		{"one-digit month", "AWSLogs/111122223333/CloudTrail/us-east-1/2024/5/14/f.json.gz", nil, ""},
		{"bad region", "AWSLogs/111122223333/CloudTrail/US-EAST-1/2024/05/14/f.json.gz", nil, ""},
		{"bad org ID", "AWSLogs/o-short/444455556666/CloudTrail/us-east-1/2024/05/14/f.json.gz", nil, ""},
		{"subdirectory below the day", "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/x/f.json.gz", nil, ""},
		{"Config, not CloudTrail", "AWSLogs/111122223333/Config/us-east-1/2024/5/14/ConfigHistory/f.json.gz", nil, ""},
		{"empty key", "", nil, ""},
	}
	l := CloudTrail()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := l.Match(tt.key)
			if ok != (tt.values != nil) {
				t.Fatalf("Match(%q) ok=%v, want %v (%+v)", tt.key, ok, tt.values != nil, p)
			}
			if !ok {
				return
			}
			if !slices.Equal(p.Values, tt.values) || p.Dir != tt.dir {
				t.Errorf("Match(%q) = %q %q, want %q %q", tt.key, p.Values, p.Dir, tt.values, tt.dir)
			}
		})
	}
}

func TestCloudTrailWithPrefix(t *testing.T) {
	l := CloudTrail().WithPrefix("audit")
	if got := l.String(); got != "audit/[prefix/]AWSLogs/[o-ORGID/]{account}/CloudTrail/{region}/{yyyy}/{MM}/{dd}/*" {
		t.Errorf("String() = %q", got)
	}
	tests := []struct {
		key string
		ok  bool
	}{
		{"audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz", true},
		{"audit/AWSLogs/o-aa111bb222/444455556666/CloudTrail/us-east-1/2024/05/14/f.json.gz", true},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz", false},        // outside the prefix
		{"auditx/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz", false}, // prefix is a whole segment
		{"audit/other/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz", false},
	}
	for _, tt := range tests {
		if _, ok := l.Match(tt.key); ok != tt.ok {
			t.Errorf("Match(%q) ok=%v, want %v", tt.key, ok, tt.ok)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		spec    string
		columns []string
		key     string
		values  []string // nil: key must not match
		dir     string
	}{
		{"cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/…", []string{"account", "dt"},
			"cloudaudit/100012345678/2024051410/ap-guangzhou_cloudaudit_20240514T1015Z.json.gz",
			[]string{"100012345678", "2024051410"}, "cloudaudit/100012345678/2024051410/"},
		{"cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/...", []string{"account", "dt"},
			"cloudaudit/100012345678/2024051410/sub/dir/file.json.gz",
			[]string{"100012345678", "2024051410"}, "cloudaudit/100012345678/2024051410/"},
		{"cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/…", []string{"account", "dt"},
			"cloudaudit/100012345678/2024051424/f.json.gz", nil, ""},
		{"cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/…", []string{"account", "dt"},
			"cloudaudit/100012345678/20240514/f.json.gz", nil, ""},
		{"logs/{account}/{region}/year={yyyy}/month={MM}/day={dd}/*", []string{"account", "region", "year", "month", "day"},
			"logs/1234567890123456/cn-hangzhou/year=2024/month=05/day=14/actiontrail.json.gz",
			[]string{"1234567890123456", "cn-hangzhou", "2024", "05", "14"}, "logs/1234567890123456/cn-hangzhou/year=2024/month=05/day=14/"},
		{"logs/{account}/{region}/year={yyyy}/month={MM}/day={dd}/*", []string{"account", "region", "year", "month", "day"},
			"logs/1234567890123456/cn-hangzhou/2024/05/14/actiontrail.json.gz", nil, ""},
		{"cts/{org}/{account}/dt={yyyy}{MM}{dd}/*/…", []string{"org", "account", "dt"},
			"cts/org-01/0a1b2c3d4e5f60718293a4b5c6d7e8f9/dt=20240514/cn-north-4/trace.json",
			[]string{"org-01", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "20240514"}, "cts/org-01/0a1b2c3d4e5f60718293a4b5c6d7e8f9/dt=20240514/"},
		{"{yyyy}/{MM}/{dd}/{HH}/*", []string{"year", "month", "day", "hour"},
			"2024/05/14/23/f.gz", []string{"2024", "05", "14", "23"}, "2024/05/14/23/"},
		{"{yyyy}/{MM}/{dd}/{HH}/*", []string{"year", "month", "day", "hour"},
			"2024/05/14/23/", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+tt.key, func(t *testing.T) {
			l, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l.Columns(), tt.columns) {
				t.Errorf("columns %q, want %q", l.Columns(), tt.columns)
			}
			p, ok := l.Match(tt.key)
			if ok != (tt.values != nil) {
				t.Fatalf("Match(%q) ok=%v, want %v (%+v)", tt.key, ok, tt.values != nil, p)
			}
			if ok && (!slices.Equal(p.Values, tt.values) || p.Dir != tt.dir) {
				t.Errorf("Match(%q) = %q %q, want %q %q", tt.key, p.Values, p.Dir, tt.values, tt.dir)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, problem string }{
		{"", "empty layout"},
		{"   ", "empty layout"},
		{"logs//{account}/*", `segment 2 "": empty segment`},
		{"logs/{acount}/*", "unknown placeholder {acount}"},
		{"logs/{account}/{account}/*", "placeholder {account} used twice"},
		{"logs/{account}{region}/*", "{account} has no fixed width"},
		{"logs/{account}-x/*", "unbalanced braces or text after the placeholders"},
		{"logs/x{account}/*", "optionally after a Hive-style name="},
		{"logs/{yyyy}-{MM}/*", `text between placeholders: "-"`},
		{"logs/{account/*", "unbalanced braces"},
		{"logs/account}/*", "unbalanced braces"},
		{"logs/Acct={account}/*", `column name "Acct"`},
		{"logs/day={dd}/{dd}/*", "placeholder {dd} used twice"},
		{"logs/dt={yyyy}/dt={MM}/*", `column "dt" appears twice`},
		{"logs/*/{account}/*", "a placeholder after '*'"},
		{"logs/…/{account}/*", "must be last"},
		{"logs/x*/{account}/*", "stand alone"},
		{"logs/{account}", "the last segment must be '*' or '…'"},
		{"logs/{account}/latest.json", "the last segment must be '*' or '…'"},
		{"logs/*", "no placeholder"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("Parse(%q) error %v, want one containing %q", tt.spec, err, tt.problem)
		}
	}
}

func TestPlaceholderValues(t *testing.T) {
	tests := []struct {
		f    func(string) bool
		good []string
		bad  []string
	}{
		{awsAccount, []string{"111122223333", "000000000000"}, []string{"", "11112222333", "1111222233334", "11112222333a"}},
		{awsRegion, []string{"us-east-1", "us-gov-west-1", "cn-northwest-1", "eu-isoe-west-1", "ap-southeast-10"},
			[]string{"", "us-east", "US-east-1", "us--east-1", "-us-east-1", "useast1", "us-east-1a"}},
		{orgID, []string{"o-aa111bb222", "o-abcdefghij0123456789abcdefghij01"}, []string{"o-aa111bb22", "o-AA111BB222", "aa111bb222", "o-aa111bb22_"}},
		{identifier, []string{"100012345678", "cn-north-4", "a.b_c"}, []string{"", "a/b", "a b", strings.Repeat("x", 129)}},
	}
	for _, tt := range tests {
		for _, s := range tt.good {
			if !tt.f(s) {
				t.Errorf("%q rejected", s)
			}
		}
		for _, s := range tt.bad {
			if tt.f(s) {
				t.Errorf("%q accepted", s)
			}
		}
	}
}

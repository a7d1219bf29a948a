package objectevent

import "testing"

func TestSkippable(t *testing.T) {
	tests := []struct {
		key    string
		reason string // "" when the key is a log file to process
	}{
		{key1, ""},
		{keyOrg, ""},
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/14/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240514T101500Z.json.gz", "CloudTrail digest file"},
		{"prefix/AWSLogs/o-aa111bb222/444455556666/CloudTrail-Digest/eu-west-1/2024/05/14/x.json.gz", "CloudTrail digest file"},
		{"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/14/111122223333_CloudTrail-Insight_us-east-1_20240514T1015Z_abc.json.gz", "CloudTrail Insights file"},
		{"CloudTrail-Digest/x.json.gz", "CloudTrail digest file"},
		{"AWSLogs/111122223333/CloudTrail/", "folder marker"},
		{"audit logs/", "folder marker"},
		// Only whole segments count: a prefix that merely contains the word is a log file.
		{"CloudTrail-Digests-archive/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/f.json.gz", ""},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/111122223333_CloudTrail-Digest.json.gz", ""},
	}
	for _, tt := range tests {
		reason, skip := Skippable(tt.key)
		if skip != (tt.reason != "") || reason != tt.reason {
			t.Errorf("Skippable(%q) = %q, %v; want %q", tt.key, reason, skip, tt.reason)
		}
	}
}

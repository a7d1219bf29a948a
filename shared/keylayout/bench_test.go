package keylayout

import "testing"

func BenchmarkMatchCloudTrail(b *testing.B) {
	l := CloudTrail()
	keys := []string{
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/111122223333_CloudTrail_us-east-1_20240514T1015Z_Kq3vYj0pVd3rE8Xw.json.gz",
		"audit/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/444455556666_CloudTrail_eu-west-1_20240514T1020Z_9hTzQw2LmNc4XbVa.json.gz",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := l.Match(keys[i%len(keys)]); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchHourly(b *testing.B) {
	l, err := Parse("cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/…")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := l.Match("cloudaudit/100012345678/2024051410/ap-guangzhou_cloudaudit_20240514T1015Z.json.gz"); !ok {
			b.Fatal("no match")
		}
	}
}

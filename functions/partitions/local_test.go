package main

import (
	"bytes"
	"testing"

	"github.com/trailguard/trailguard/shared/catalog"
)

func TestPrinter(t *testing.T) {
	columns := []string{"account", "region", "year", "month", "day"}
	part := catalog.NewPartition(columns, []string{"444455556666", "eu-west-1", "2024", "05", "14"},
		"s3://trail-bucket/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/")
	table := catalog.Table{Database: "trailguard", Name: "cloudtrail"}
	tests := []struct {
		json bool
		want string
	}{
		{true, `{"database":"trailguard","table":"cloudtrail","values":{"account":"444455556666","region":"eu-west-1","year":"2024","month":"05","day":"14"},"location":"s3://trail-bucket/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/"}` + "\n"},
		{false, "registered partition trailguard.cloudtrail account=444455556666/region=eu-west-1/year=2024/month=05/day=14 at s3://trail-bucket/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-west-1/2024/05/14/\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		(&printer{W: &out, JSON: tt.json, Table: table, Columns: columns}).Print(part)
		if out.String() != tt.want {
			t.Errorf("JSON=%v:\n got %s\nwant %s", tt.json, out.String(), tt.want)
		}
	}
}

package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/shared/keylayout"
	"github.com/trailguard/trailguard/shared/testenv"
)

// countingTransport counts S3 ListObjectsV2 requests (GET ?list-type=2) on the wire.
type countingTransport struct {
	next  http.RoundTripper
	lists atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
		c.lists.Add(1)
	}
	return c.next.RoundTrip(r)
}

func TestIntegrationBackfill(t *testing.T) {
	s := newStack(t)
	s3c := testenv.S3(t)
	bucket := testenv.S3Bucket(t, s3c)

	// 3 accounts (an organization trail) × 2 regions × 30 days (across a month end), two
	// log files a day, and the digest files beside them.
	start := time.Date(2024, 4, 16, 0, 0, 0, 0, time.UTC)
	var keys []string
	for _, acct := range []string{"111122223333", "444455556666", "777788889999"} {
		for _, region := range []string{"us-east-1", "eu-central-1"} {
			for d := range 30 {
				date := start.AddDate(0, 0, d).Format("2006/01/02")
				for f := range 2 {
					keys = append(keys, fmt.Sprintf("trail/AWSLogs/o-aa111bb222/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%d.json.gz", acct, region, date, acct, region, strings.ReplaceAll(date, "/", ""), f))
				}
				keys = append(keys, fmt.Sprintf("trail/AWSLogs/o-aa111bb222/%s/CloudTrail-Digest/%s/%s/digest.json.gz", acct, region, date))
			}
		}
	}
	for i, k := range keys {
		if _, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("{}")}); err != nil {
			t.Fatalf("seed %s: %v", k, err)
		}
		if i == 0 {
			requireDelimiterListing(t, &s3Lister{Bucket: bucket, Client: s3c})
		}
	}

	counter := &countingTransport{next: http.DefaultTransport}
	lister := &s3Lister{Bucket: bucket, Client: s3.New(s3c.Options(), func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: counter}
	})}
	s.layout = keylayout.CloudTrail().WithPrefix("trail")
	var created []string
	h := s.container(&created)
	n, err := h.Backfill(t.Context(), lister, &backfillRequest{Bucket: bucket, Prefix: "trail/"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 180 || len(created) != 180 || len(s.gluePartitions()) != 180 || len(s.ledgerItems()) != 180 {
		t.Fatalf("found %d, created %d, %d in Glue, %d in the ledger; want 180 each", n, len(created), len(s.gluePartitions()), len(s.ledgerItems()))
	}
	if got := s.glue.BatchSizes(); !slices.Equal(got, []int{100, 80}) {
		t.Errorf("BatchCreatePartition sizes %v, want [100 80]", got)
	}
	lists := counter.lists.Load()
	t.Logf("%d ListObjectsV2 calls for %d objects", lists, len(keys))
	if lists >= int64(len(keys)) || lists == 0 {
		t.Errorf("%d ListObjectsV2 calls for %d objects: the walk must list prefixes, not objects", lists, len(keys))
	}
	// AWSLogs/, o-aa111bb222/, 3 accounts' regions, 6 regions' years, 6 years' months,
	// 12 months' days.
	if lists != 29 {
		t.Errorf("%d ListObjectsV2 calls, want 29", lists)
	}
	want := "444455556666/eu-central-1/2024/05/01 s3://" + bucket + "/trail/AWSLogs/o-aa111bb222/444455556666/CloudTrail/eu-central-1/2024/05/01/"
	if !slices.Contains(s.gluePartitions(), want) {
		t.Errorf("partitions lack %q", want)
	}

	// Again, from another container: everything is in the ledger, Glue is not called.
	calls := s.glue.Requests("BatchCreatePartition")
	created = nil
	if n, err := s.container(&created).Backfill(t.Context(), lister, &backfillRequest{Bucket: bucket, Prefix: "trail/"}); err != nil || n != 180 {
		t.Fatalf("second backfill: %d, %v", n, err)
	}
	if s.glue.Requests("BatchCreatePartition") != calls || len(created) != 0 {
		t.Errorf("second backfill called Glue or created %d partitions", len(created))
	}

	// -since limits the walk to the days from then on.
	s2 := newStack(t)
	s2.layout = s.layout
	n, err = s2.container(nil).Backfill(t.Context(), lister, &backfillRequest{Bucket: bucket, Prefix: "trail/", Since: time.Date(2024, 5, 10, 0, 0, 0, 0, time.UTC)})
	if err != nil || n != 3*2*6 {
		t.Errorf("-since 2024-05-10: %d partitions, %v; want 36 (6 days × 6)", n, err)
	}
}

// requireDelimiterListing fails the test when the S3 emulator cannot list nested common
// prefixes, as s3rver 3.7.1's FilesystemStore cannot on its own: its listObjects prunes every
// directory more than one level below the prefix when a delimiter is set, so "trail/" lists
// nothing where S3 answers "trail/AWSLogs/". scripts/s3rver-delimiter.js, loaded by
// scripts/emulators.js, patches it; this check says so plainly if the patch is ever lost.
func requireDelimiterListing(t *testing.T, l *s3Lister) {
	t.Helper()
	got, err := l.Prefixes(t.Context(), "trail/")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(got, []string{"trail/AWSLogs/"}) {
		return
	}
	msg := fmt.Sprintf("the S3 emulator lists %q under trail/ with delimiter \"/\", S3 lists [\"trail/AWSLogs/\"]: "+
		"s3rver 3.7.1 FilesystemStore.listObjects drops nested common prefixes; scripts/s3rver-delimiter.js must patch it", got)
	t.Fatal(msg)
}

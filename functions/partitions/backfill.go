package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/shared/catalog"
	"github.com/trailguard/trailguard/shared/keylayout"
)

// backfillRequest is what -backfill and -since ask for.
type backfillRequest struct {
	Bucket string
	Prefix string    // where the layout starts: the trail's prefix, "" for the bucket root
	Since  time.Time // zero for everything
}

// parseBackfill reads -backfill s3://bucket/prefix/ and -since YYYY-MM-DD; nil when
// -backfill is not given. Errors name the flag.
func parseBackfill(target, since string) (*backfillRequest, error) {
	if target == "" {
		if since != "" {
			return nil, errors.New("-since: only with -backfill")
		}
		return nil, nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("-backfill %q: want s3://bucket/prefix/", target)
	}
	req := &backfillRequest{Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/")}
	if since != "" {
		t, err := time.Parse(time.DateOnly, since)
		if err != nil {
			return nil, fmt.Errorf("-since %q: want YYYY-MM-DD", since)
		}
		req.Since = t
	}
	return req, nil
}

// s3API is the part of the S3 client the backfill uses.
type s3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// s3Lister lists a bucket's "directories" with ListObjectsV2 and the '/' delimiter.
type s3Lister struct {
	Client s3API
	Bucket string
}

func (l *s3Lister) Prefixes(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	pages := s3.NewListObjectsV2Paginator(l.Client, &s3.ListObjectsV2Input{
		Bucket: aws.String(l.Bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, aws.ToString(cp.Prefix))
		}
	}
	return out, nil
}

// Backfill registers the partitions of the files already under req's prefix, as the
// events of their delivery would have. It returns how many partitions it found; an error
// means some were not registered (their errors are logged, the run can be repeated).
func (h *Handler) Backfill(ctx context.Context, lister keylayout.Lister, req *backfillRequest) (int, error) {
	found, failed := 0, 0
	var pending []catalog.Partition
	flush := func() {
		for i, o := range h.Registry.Ensure(ctx, pending) {
			h.Metrics.Add("Partitions"+statusMetric(o.Status), 1)
			logOutcome(ctx, h.Log, h.Table, pending[i], o)
			switch {
			case o.Status == catalog.Failed:
				failed++
			case o.Status == catalog.Created && h.Report != nil:
				h.Report(pending[i])
			}
		}
		pending = pending[:0]
	}
	err := h.Layout.Walk(ctx, lister, req.Prefix, req.Since, func(p keylayout.Partition) error {
		found++
		pending = append(pending, catalog.NewPartition(h.Columns, p.Values, "s3://"+req.Bucket+"/"+p.Dir))
		if len(pending) == catalog.MaxBatchCreate {
			flush()
		}
		return ctx.Err()
	})
	if len(pending) > 0 {
		flush()
	}
	h.Log.InfoContext(ctx, "backfill done", "bucket", req.Bucket, "prefix", req.Prefix, "partitions", found, "failed", failed)
	if err != nil {
		return found, fmt.Errorf("backfill s3://%s/%s: %w", req.Bucket, req.Prefix, err)
	}
	if failed > 0 {
		return found, fmt.Errorf("backfill s3://%s/%s: %d of %d partitions not registered", req.Bucket, req.Prefix, failed, found)
	}
	return found, nil
}

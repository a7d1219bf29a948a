package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/objectevent"
)

// errGone: the object announced is not there any more, or not in the version announced (a
// newer version has its own event). There is nothing left to count for this event.
var errGone = errors.New("object gone or replaced since the event")

// getObject is the part of the S3 client the aggregator uses.
type getObject interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// s3Objects reads log files from S3, as a stream.
type s3Objects struct {
	Client getObject
}

// Open starts reading the object. With the event's ETag it asks for that version only
// (If-Match), so the file counted is the file announced; its identity is bucket, key and the
// ETag S3 answers with.
func (s *s3Objects) Open(ctx context.Context, o objectevent.Object) (io.ReadCloser, counters.FileID, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)}
	if o.ETag != "" {
		in.IfMatch = aws.String(`"` + strings.Trim(o.ETag, `"`) + `"`)
	}
	out, err := s.Client.GetObject(ctx, in)
	var noKey *types.NoSuchKey
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &noKey), errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed":
		return nil, counters.FileID{}, fmt.Errorf("%w: %v", errGone, err)
	case err != nil:
		return nil, counters.FileID{}, err
	}
	id := counters.FileID{Bucket: o.Bucket, Key: o.Key, ETag: strings.Trim(aws.ToString(out.ETag), `"`)}
	if o.ETag != "" && id.ETag != "" && id.ETag != strings.Trim(o.ETag, `"`) {
		out.Body.Close() // a store that ignored If-Match
		return nil, counters.FileID{}, fmt.Errorf("%w: ETag %s, the event announced %s", errGone, id.ETag, o.ETag)
	}
	if id.ETag == "" {
		id.ETag = o.ETag
	}
	return out.Body, id, nil
}

// dirObjects reads log files from a local folder standing in for the bucket: key k of any
// bucket is the file DIR/k.
type dirObjects struct {
	Dir string
}

// Open opens the file of the object's key. Its identity's ETag is the event's, else the
// file's MD5 (S3's ETag of an object uploaded in one part).
func (d dirObjects) Open(_ context.Context, o objectevent.Object) (io.ReadCloser, counters.FileID, error) {
	if !filepath.IsLocal(filepath.FromSlash(o.Key)) {
		return nil, counters.FileID{}, fmt.Errorf("key %q leaves the bucket folder", o.Key)
	}
	path := filepath.Join(d.Dir, filepath.FromSlash(o.Key))
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, counters.FileID{}, fmt.Errorf("%w: %v", errGone, err)
	} else if err != nil {
		return nil, counters.FileID{}, err
	}
	id := counters.FileID{Bucket: o.Bucket, Key: o.Key, ETag: strings.Trim(o.ETag, `"`)}
	if id.ETag == "" {
		if id.ETag, err = fileMD5(f); err != nil {
			f.Close()
			return nil, counters.FileID{}, err
		}
	}
	return f, id, nil
}

// fileMD5 hashes f and rewinds it.
func fileMD5(f *os.File) (string, error) {
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

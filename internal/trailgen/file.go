package trailgen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Stream returns a reader of a CloudTrail log file, {"Records":[…]}, of n records made by next,
// generated as it is read: the file is never held whole, however large n is.
func Stream(n int, next func(dst []byte) []byte) io.Reader {
	return &stream{n: n, next: next, buf: []byte(`{"Records":[`)}
}

type stream struct {
	n, done int
	next    func(dst []byte) []byte
	buf     []byte
	off     int
}

func (s *stream) Read(p []byte) (int, error) {
	for s.off == len(s.buf) {
		if s.done > s.n {
			return 0, io.EOF
		}
		s.buf, s.off = s.buf[:0], 0
		switch {
		case s.done == s.n:
			s.buf = append(s.buf, "]}\n"...)
		case s.done > 0:
			s.buf = append(s.buf, ',')
			fallthrough
		default:
			s.buf = s.next(s.buf)
		}
		s.done++
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

// WriteGzip writes r gzipped to path (through a temporary file, so a reader never sees half).
func WriteGzip(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".trailgen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, r); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Bench is the benchmark log file: n random records from seed over two hours (a file holds
// minutes of events; late ones spill into the next hour), 20 accounts with 40 identities each
// and 300 source addresses.
func Bench(seed uint64, n int) io.Reader {
	g := New(seed, time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC), 20, 40, 300)
	return Stream(n, func(dst []byte) []byte { return g.Append(dst, g.Random(2)) })
}

// HighCardinalityShare is the share of HighCardinality's records that open a counter of
// their own (trailgen's catalog repeats itself; the rest are given fresh source addresses).
const HighCardinalityShare = 0.4

// HighCardinality is Bench with 40 % of records opening a new counter: the same catalog, with
// source addresses never seen before on enough records (FreshSources) that distinct counters
// are about HighCardinalityShare of the records.
func HighCardinality(seed uint64, n int) io.Reader {
	g := New(seed, time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC), 20, 40, 300)
	// The catalog alone makes about 14 % of Bench's 200,000 records distinct counters; fresh
	// addresses on 28 % more bring the file to about 40 % (TestHighCardinalityShare).
	g.FreshSources = 0.28
	return Stream(n, func(dst []byte) []byte { return g.Append(dst, g.Random(2)) })
}

// HighCardinalityFile returns the path of the gzipped HighCardinality(seed, n) log file,
// generated once into the cache directory as BenchFile is.
func HighCardinalityFile(seed uint64, n int) (string, error) {
	return cached(fmt.Sprintf("cloudtrail-hc-v1-seed%d-n%d.json.gz", seed, n), func() io.Reader { return HighCardinality(seed, n) })
}

// BenchFile returns the path of the gzipped Bench(seed, n) log file, generating it once into
// the user's cache directory (or the temp directory): never into the repository. The name
// carries a version: change it when the generator's output changes.
func BenchFile(seed uint64, n int) (string, error) {
	return cached(fmt.Sprintf("cloudtrail-v2-seed%d-n%d.json.gz", seed, n), func() io.Reader { return Bench(seed, n) })
}

// cached returns the path of a generated file in the cache directory, writing it first
// from gen when it is not there.
func cached(name string, gen func() io.Reader) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "trailguard-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := WriteGzip(path, gen()); err != nil {
		return "", fmt.Errorf("generate %s: %w", path, err)
	}
	return path, nil
}

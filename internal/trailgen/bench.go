package trailgen

import (
	"os"
	"runtime"
	"testing"
)

// BenchRecords is the size of the benchmark log file: 200,000 records of about 1.5 KB
// (300 MB of JSON, 39 MB gzipped).
const BenchRecords = 200_000

// LoadBenchFile returns the path and the gzipped content of the benchmark log file
// (BenchFile(1, BenchRecords)), read into memory so that a benchmark does not measure the disk.
func LoadBenchFile(tb testing.TB) (string, []byte) {
	tb.Helper()
	path, err := BenchFile(1, BenchRecords)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, data
}

// LoadHighCardinalityFile is LoadBenchFile for the high-cardinality file
// (HighCardinalityFile(1, BenchRecords)): 40 % of its records open a new counter.
func LoadHighCardinalityFile(tb testing.TB) (string, []byte) {
	tb.Helper()
	path, err := HighCardinalityFile(1, BenchRecords)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, data
}

// OneCore runs the rest of a test or benchmark on one core, as a Lambda function of up to
// 1,769 MB has.
func OneCore(tb testing.TB) {
	prev := runtime.GOMAXPROCS(1)
	tb.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

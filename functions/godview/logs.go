package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/logfile"
)

// LogRows counts the CloudTrail log files under dir (.json.gz or .json, digests left out) into
// counter rows the way the aggregate function counts them: the same reader and record parser,
// one tally per file, malformed records skipped. A file that cannot be read to its end is left
// out whole (aggregate counts it not at all) and named in skipped, so the page never shows
// half a file. This is the local god view of a trail on disk without a counters table.
func LogRows(dir string) (rows []counters.Row, files int, skipped []string, err error) {
	total := map[counters.Key]int64{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || strings.Contains(path, "CloudTrail-Digest") || !(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json")) {
			return nil
		}
		fileRows, ferr := countFile(path)
		if ferr != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", path, ferr))
			return nil
		}
		files++
		for _, r := range fileRows {
			total[r.Key] += r.Count
		}
		return nil
	})
	if err != nil {
		return nil, files, skipped, fmt.Errorf("-logs %s: %w", dir, err)
	}
	for k, n := range total {
		rows = append(rows, counters.Row{Key: k, Count: n})
	}
	slices.SortFunc(rows, func(a, b counters.Row) int {
		return cmp.Or(cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Account, b.Account), cmp.Compare(fmt.Sprint(a.Key), fmt.Sprint(b.Key)))
	})
	return rows, files, skipped, nil
}

func countFile(path string) ([]counters.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lr, err := logfile.NewReader(f)
	if err != nil {
		return nil, err
	}
	tally := counters.NewTally()
	var p counters.Parser
	for {
		_, err := lr.NextFunc(p.Parse)
		if err == io.EOF {
			return tally.Rows(), nil
		}
		if err != nil {
			var re *logfile.RecordError
			if errors.As(err, &re) {
				continue // malformed record: skipped, as aggregate does
			}
			return nil, err
		}
		tally.Add(&p.Record().Key)
	}
}

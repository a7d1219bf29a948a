package keylayout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// fakeBucket lists the common prefixes of a set of keys, as ListObjectsV2 with a delimiter
// does, and counts the calls.
type fakeBucket struct {
	keys  []string
	calls int
	fail  string // a prefix whose listing fails
}

func (b *fakeBucket) Prefixes(_ context.Context, prefix string) ([]string, error) {
	b.calls++
	if prefix == b.fail {
		return nil, errors.New("AccessDenied")
	}
	seen := map[string]bool{}
	var out []string
	for _, k := range b.keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if i := strings.IndexByte(k[len(prefix):], '/'); i >= 0 {
			p := k[:len(prefix)+i+1]
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func collect(t *testing.T, l *Layout, b *fakeBucket, base string, since time.Time) []string {
	t.Helper()
	var got []string
	err := l.Walk(context.Background(), b, base, since, func(p Partition) error {
		got = append(got, strings.Join(p.Values, ",")+" "+p.Dir)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// cloudTrailKeys is a bucket of an organization trail and an account trail, with digest
// files, Insights files and a folder marker beside the log files.
func cloudTrailKeys(prefix string) []string {
	var keys []string
	add := func(dir, file string) { keys = append(keys, prefix+dir+file) }
	for _, a := range []string{"AWSLogs/o-aa111bb222/444455556666/", "AWSLogs/o-aa111bb222/777788889999/", "AWSLogs/111122223333/"} {
		for _, r := range []string{"us-east-1", "eu-west-1"} {
			for _, d := range []string{"2024/04/30", "2024/05/01", "2024/05/02"} {
				for i := range 3 {
					add(a+"CloudTrail/"+r+"/"+d+"/", fmt.Sprintf("f%d.json.gz", i))
				}
				add(a+"CloudTrail-Digest/"+r+"/"+d+"/", "digest.json.gz")
			}
			add(a+"CloudTrail-Insight/"+r+"/2024/05/01/", "insight.json.gz")
		}
	}
	keys = append(keys, prefix+"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/03/") // folder marker only
	keys = append(keys, prefix+"AWSLogs/111122223333/CloudTrail/us-east-1/2024/notamonth/x.json.gz")
	return keys
}

func TestWalkCloudTrail(t *testing.T) {
	b := &fakeBucket{keys: cloudTrailKeys("audit/")}
	got := collect(t, CloudTrail(), b, "audit", time.Time{})
	// 3 accounts × 2 regions × 3 days, plus the folder-marker day.
	if len(got) != 19 {
		t.Fatalf("%d partitions, want 19:\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, want := range []string{
		"444455556666,us-east-1,2024,04,30 audit/AWSLogs/o-aa111bb222/444455556666/CloudTrail/us-east-1/2024/04/30/",
		"777788889999,eu-west-1,2024,05,02 audit/AWSLogs/o-aa111bb222/777788889999/CloudTrail/eu-west-1/2024/05/02/",
		"111122223333,us-east-1,2024,05,01 audit/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
	for _, p := range got {
		if strings.Contains(p, "Digest") || strings.Contains(p, "Insight") {
			t.Errorf("walked into %s", p)
		}
	}
	files := 0
	for _, k := range b.keys {
		if !strings.HasSuffix(k, "/") {
			files++
		}
	}
	// AWSLogs/, o-aa111bb222/, 3 accounts' regions, 6 regions' years, 6 years' months,
	// 12 months' days ("notamonth" is not stepped into): never a listing of the files.
	if b.calls != 29 || b.calls >= files {
		t.Errorf("%d list calls for %d files, want 29", b.calls, files)
	}
}

func TestWalkSince(t *testing.T) {
	b := &fakeBucket{keys: cloudTrailKeys("")}
	got := collect(t, CloudTrail(), b, "", time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
	// 2024/05/02 for 3 accounts × 2 regions, and the marker day 2024/05/03.
	if len(got) != 7 {
		t.Fatalf("%d partitions, want 7:\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, p := range got {
		if strings.Contains(p, "/04/") || strings.Contains(p, "/05/01/") {
			t.Errorf("%s is before -since", p)
		}
	}
	// April is pruned at the month level: its days are never listed.
	before := b.calls
	collect(t, CloudTrail(), b, "", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	if n := b.calls - before; n != 17 {
		t.Errorf("%d list calls with nothing to find, want 17 (down to the months only)", n)
	}
}

func TestWalkHourly(t *testing.T) {
	l, err := Parse("cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/…")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, a := range []string{"100012345678", "100087654321"} {
		for _, h := range []string{"2024051322", "2024051323", "2024051400", "2024051401"} {
			keys = append(keys, "cloudaudit/"+a+"/"+h+"/part-0.json.gz", "cloudaudit/"+a+"/"+h+"/sub/part-1.json.gz")
		}
	}
	keys = append(keys, "cloudaudit/100012345678/latest/x.json", "other/100012345678/2024051400/x.json")
	b := &fakeBucket{keys: keys}
	got := collect(t, l, b, "", time.Date(2024, 5, 14, 0, 0, 0, 0, time.UTC))
	want := []string{
		"100012345678,2024051400 cloudaudit/100012345678/2024051400/",
		"100012345678,2024051401 cloudaudit/100012345678/2024051401/",
		"100087654321,2024051400 cloudaudit/100087654321/2024051400/",
		"100087654321,2024051401 cloudaudit/100087654321/2024051401/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b.calls != 3 {
		t.Errorf("%d list calls, want 3 (accounts, then each account's hours)", b.calls)
	}
}

func TestWalkErrors(t *testing.T) {
	b := &fakeBucket{keys: cloudTrailKeys(""), fail: "AWSLogs/111122223333/CloudTrail/"}
	err := CloudTrail().Walk(context.Background(), b, "", time.Time{}, func(Partition) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `list "AWSLogs/111122223333/CloudTrail/": AccessDenied`) {
		t.Errorf("error %v, want the failed listing named", err)
	}
	stop := errors.New("stop")
	b = &fakeBucket{keys: cloudTrailKeys("")}
	n := 0
	err = CloudTrail().Walk(context.Background(), b, "", time.Time{}, func(Partition) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("error %v after %d partitions, want fn's error after 1", err, n)
	}
}

// Walk and Match agree: every partition Walk finds is the one Match gives its files.
func TestWalkAgreesWithMatch(t *testing.T) {
	keys := cloudTrailKeys("p/")
	b := &fakeBucket{keys: keys}
	walked := map[string]bool{}
	l := CloudTrail().WithPrefix("p")
	if err := l.Walk(context.Background(), b, "p/", time.Time{}, func(p Partition) error {
		walked[strings.Join(p.Values, ",")+" "+p.Dir] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		p, ok := l.Match(k)
		if !ok {
			continue
		}
		if id := strings.Join(p.Values, ",") + " " + p.Dir; !walked[id] {
			t.Errorf("Match(%q) = %s, which Walk did not find", k, id)
		}
	}
}

package localstate_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/godview"
	"github.com/trailguard/trailguard/shared/localstate"
)

// repo is the repository root, from this package's directory.
const repo = "../.."

var (
	binsOnce sync.Once
	binsDir  string
	binsErr  error
)

// bins builds the functions' binaries once per test run (local builds: with SQLite).
func bins(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the functions")
	}
	binsOnce.Do(func() {
		if binsDir, binsErr = os.MkdirTemp("", "localstate-bins"); binsErr != nil {
			return
		}
		for _, fn := range []string{"aggregate", "tagenrich", "rules", "logincheck", "godview"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binsDir, fn), "./functions/"+fn)
			cmd.Dir = repo
			out, err := cmd.CombinedOutput()
			if err != nil {
				binsErr = &buildError{fn, string(out)}
				return
			}
		}
	})
	if binsErr != nil {
		t.Fatal(binsErr)
	}
	return binsDir
}

type buildError struct{ fn, out string }

func (e *buildError) Error() string { return "build " + e.fn + ": " + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binsDir != "" {
		os.RemoveAll(binsDir)
	}
	os.Exit(code)
}

// run runs a function binary from the repository root, with a clean environment for a local run.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repo
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_LAMBDA_RUNTIME_API=") && !strings.HasPrefix(kv, "LOG_LEVEL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func scalar(t *testing.T, db *localstate.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.SQL.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func openDir(t *testing.T, dir string) *localstate.DB {
	t.Helper()
	db, err := localstate.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestReplayIntoOneState replays samples through aggregate and tagenrich into one state, each
// event once in one state and redelivered in another: the redeliveries count once and store
// one change, and godview -state draws what both functions kept.
func TestReplayIntoOneState(t *testing.T) {
	bin := bins(t)
	objectCreated := "events/aggregate/eventbridge-object-created.json"
	objectAgain := "events/aggregate/eventbridge-object-created.redelivered.json"
	change := "events/tagenrich/ec2-1-run-instances.json"
	changeAgain := "events/tagenrich/ec2-1-run-instances.redelivered.json"

	once := filepath.Join(t.TempDir(), "once")
	run(t, filepath.Join(bin, "aggregate"), "-state", once, objectCreated)
	run(t, filepath.Join(bin, "tagenrich"), "-state", once, change)
	twice := filepath.Join(t.TempDir(), "twice")
	run(t, filepath.Join(bin, "aggregate"), "-state", twice, objectCreated)
	run(t, filepath.Join(bin, "aggregate"), "-state", twice, objectCreated, objectAgain) // another process, same state
	run(t, filepath.Join(bin, "tagenrich"), "-state", twice, change, changeAgain)
	run(t, filepath.Join(bin, "tagenrich"), "-state", twice, change)

	a, b := openDir(t, once), openDir(t, twice)
	for _, q := range []string{
		`SELECT sum(count) FROM counters`,
		`SELECT count(*) FROM counters`,
		`SELECT count(*) FROM counter_files`,
		`SELECT count(*) FROM changes`,
		`SELECT count(*) FROM change_tags`,
	} {
		n1, n2 := scalar(t, a, q), scalar(t, b, q)
		if n1 == 0 || n1 != n2 {
			t.Errorf("%s: %d replayed once, %d redelivered: want the same, not 0", q, n1, n2)
		}
	}

	// The god view of the redelivered state: its counters and its change.
	ctx := context.Background()
	g, closeState, err := localstate.OpenGodView(ctx, twice)
	if err != nil {
		t.Fatal(err)
	}
	defer closeState()
	latest, err := g.LatestHour(ctx)
	if err != nil || latest == "" {
		t.Fatalf("latest hour %q, %v", latest, err)
	}
	end, _ := time.Parse(counters.HourLayout, latest)
	rows, err := g.Activity(ctx, end.Add(-23*time.Hour), end.Add(time.Hour))
	if err != nil || len(rows) == 0 {
		t.Fatalf("activity: %d rows, %v", len(rows), err)
	}
	changes, err := g.Changes(ctx, godview.ChangeFilter{TagKey: "project", TagValue: "apollo",
		From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(changes) != 1 || changes[0].EventName != "RunInstances" {
		t.Fatalf("changes tagged project=apollo: %+v, %v; want the one RunInstances", changes, err)
	}
	page := filepath.Join(t.TempDir(), "godview.html")
	run(t, filepath.Join(bin, "godview"), "-state", twice, "-html", page)
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), rows[0].EventName) {
		t.Errorf("the page does not name the event %s of the state's counters", rows[0].EventName)
	}
	run(t, filepath.Join(bin, "godview"), "-state", twice, "-from", changes[0].Time[:13], "-to", end.Add(48*time.Hour).Format(counters.HourLayout), "-tag", "project=apollo", "-html", page)
	if html, _ = os.ReadFile(page); !strings.Contains(string(html), "RunInstances") {
		t.Errorf("the page of the change's hours, tagged project=apollo, does not list RunInstances")
	}

	// -serve renders per request: a change stored after the server started is on the next page.
	addr := freeAddr(t)
	srv := exec.Command(filepath.Join(bin, "godview"), "-state", twice, "-serve", addr)
	srv.Dir = repo
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	query := "/?from=" + changes[0].Time[:13] + "&to=" + end.Add(72*time.Hour).Format(counters.HourLayout) + "&tag=project%3Dapollo"
	body := get(t, "http://"+addr+query, http.StatusOK)
	if !strings.Contains(body, "RunInstances") || strings.Contains(body, "ModifyInstanceAttribute") {
		t.Errorf("served page: want RunInstances and not yet ModifyInstanceAttribute")
	}
	run(t, filepath.Join(bin, "tagenrich"), "-state", twice, "events/tagenrich/ec2-2-modify-instance-attribute.json")
	if body := get(t, "http://"+addr+query, http.StatusOK); !strings.Contains(body, "ModifyInstanceAttribute") {
		t.Errorf("the page served after another change was stored does not list it")
	}
	get(t, "http://"+addr+"/?from=yesterday", http.StatusBadRequest)
}

// freeAddr is a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get fetches url (retrying while the server starts) and checks its status.
func get(t *testing.T, url string, want int) string {
	t.Helper()
	var res *http.Response
	var err error
	for range 100 {
		if res, err = http.Get(url); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s: %s, want %d: %s", url, res.Status, want, b)
	}
	return string(b)
}

// demoState replays every well-formed sample of the functions that keep state into one state
// directory, as make demo does (scripts/demo).
func demoState(t *testing.T) string {
	bin := bins(t)
	dir := filepath.Join(t.TempDir(), "state")
	for _, fn := range []string{"aggregate", "tagenrich", "rules", "logincheck"} {
		files, err := filepath.Glob(filepath.Join(repo, "events", fn, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"-state", dir}
		for _, f := range files {
			if !strings.HasPrefix(filepath.Base(f), "malformed-") {
				args = append(args, strings.TrimPrefix(f, repo+string(filepath.Separator)))
			}
		}
		run(t, filepath.Join(bin, fn), args...)
	}
	return dir
}

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// TestClassicQueries runs every SQL query of docs/local-state.md on the demo's state: each
// works and answers rows.
func TestClassicQueries(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repo, "docs", "local-state.md"))
	if err != nil {
		t.Fatal(err)
	}
	queries := sqlBlock.FindAllStringSubmatch(string(doc), -1)
	if len(queries) < 3 {
		t.Fatalf("docs/local-state.md shows %d sql queries, want at least 3", len(queries))
	}
	db := openDir(t, demoState(t))
	for _, q := range queries {
		rows, err := db.SQL.QueryContext(context.Background(), q[1])
		if err != nil {
			t.Errorf("%s: %v", q[1], err)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", q[1], err)
		}
		rows.Close()
		if n == 0 {
			t.Errorf("%s: no row on the demo's state", q[1])
		}
	}
}

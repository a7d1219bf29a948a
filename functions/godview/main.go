// Command godview draws the god view. Under Lambda it is the backend of the CloudWatch
// dashboard's custom widgets (one panel per widget, params {"panel", "tag", "cloud"}), reading the
// counters (COUNTERS_TABLE: the merge's hour summaries, one Query per hour, for the AWS
// accounts in ACCOUNTS and every account of the other clouds cloudpoll polls), the change log
// (CHANGE_TABLE, by tag) and the alerts the functions sent (ALERT_STATE_TABLE, the history
// every function's sender keeps there). Anywhere else it writes every panel as one page (-html FILE) or
// serves it (-serve ADDR, ?from=&to= hours, ?tag=, ?cloud=) over counters read from a JSON file of
// rows (-rows FILE, as the counters' queries return them), counted from the CloudTrail log
// files under a folder (-logs DIR, as aggregate counts them), or kept by the functions' local
// runs with -state DIR (-state DIR here too: counters, changes and alerts, read per request).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/godview"
	"github.com/trailguard/trailguard/shared/localstate"
)

func main() {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		h, err := lambdaHandler(context.Background())
		if err != nil {
			slog.Error("godview: configuration", "error", err.Error())
			os.Exit(1)
		}
		lambda.Start(h.Handle)
		return
	}
	if err := local(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "godview:", err)
		os.Exit(2)
	}
}

// lambdaHandler wires the deployed Source from the environment; a missing variable stops
// the function at init, naming it.
func lambdaHandler(ctx context.Context) (*Handler, error) {
	table, accounts := os.Getenv("COUNTERS_TABLE"), strings.FieldsFunc(os.Getenv("ACCOUNTS"), func(r rune) bool { return r == ',' || r == ' ' })
	if table == "" {
		return nil, errors.New("COUNTERS_TABLE is empty")
	}
	if len(accounts) == 0 {
		return nil, errors.New("ACCOUNTS is empty: list the account IDs the god view reads (comma-separated)")
	}
	cfg, err := config.LoadAWS(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg)
	src := &godview.Tables{Counters: &counters.Table{Client: db, Name: table}, Accounts: accounts}
	if ct := os.Getenv("CHANGE_TABLE"); ct != "" {
		src.ChangeLog = &changelog.DynamoStore{Client: db, Table: ct}
	}
	if at := os.Getenv("ALERT_STATE_TABLE"); at != "" {
		src.History = &alert.DynamoHistory{Client: db, Table: at}
	}
	return &Handler{Source: src, Options: godview.Options{Accounts: accounts}}, nil
}

// local is the local mode: -html FILE or -serve ADDR over -rows FILE.
func local(args []string) error {
	fs := flag.NewFlagSet("godview", flag.ContinueOnError)
	rowsFile := fs.String("rows", "", "JSON file of counter rows (an array of {hour, account, principal, source_ip, event_name, resource_type, error_code, event_type, region, event_source, cloud, count}; cloud empty for AWS)")
	htmlFile := fs.String("html", "", "write every panel as one self-contained page to `FILE`")
	serve := fs.String("serve", "", "serve the page on `ADDR` (e.g. 127.0.0.1:8080), rendered per request (?from=&to= hours, ?tag=, ?cloud=)")
	from := fs.String("from", "", "first hour (2006-01-02T15); default: 24 hours before -to")
	to := fs.String("to", "", "end hour, excluded (2006-01-02T15); default: the hour after the latest counter")
	tag := fs.String("tag", "", "latest changes tagged `key=value`")
	cloud := fs.String("cloud", "", "one cloud's accounts only: `CLOUD` aws, huawei, alibaba or tencent (default: every cloud)")
	logs := fs.String("logs", "", "count the CloudTrail log files under `DIR` (.json.gz, as the trail bucket holds them) as aggregate does, instead of -rows")
	state := fs.String("state", "", "draw the state the functions kept with -state `DIR` (counters, changes, alerts; read per request), instead of -rows or -logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *state != "" && (*rowsFile != "" || *logs != "") {
		return errors.New("-state with -rows or -logs: give one")
	}
	var rows []counters.Row
	if *rowsFile != "" {
		b, err := os.ReadFile(*rowsFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &rows); err != nil {
			return fmt.Errorf("-rows %s: %w", *rowsFile, err)
		}
	}
	if *logs != "" {
		if *rowsFile != "" {
			return errors.New("-logs and -rows: give one")
		}
		var files int
		var skipped []string
		var err error
		if rows, files, skipped, err = LogRows(*logs); err != nil {
			return err
		}
		for _, s := range skipped {
			fmt.Fprintln(os.Stderr, "godview: not counted:", s)
		}
		fmt.Fprintf(os.Stderr, "godview: %d log files, %d counters\n", files, len(rows))
	}
	pg := &pages{Source: &godview.Memory{Rows: rows}, View: godview.View{Width: 600, Height: 300}}
	if *state != "" {
		src, closeState, err := localstate.OpenGodView(context.Background(), *state)
		if err != nil {
			return err
		}
		defer closeState()
		pg.Source, pg.Latest = src, src.LatestHour
	}
	switch {
	case *htmlFile != "":
		var b strings.Builder
		if err := pg.write(&b, *from, *to, *tag, *cloud); err != nil {
			return err
		}
		return os.WriteFile(*htmlFile, []byte(b.String()), 0o644)
	case *serve != "":
		srv := &http.Server{Addr: *serve, Handler: pg, ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintf(os.Stderr, "godview: serving http://%s/\n", *serve)
		return srv.ListenAndServe()
	}
	fs.Usage()
	return errors.New("want -html FILE or -serve ADDR")
}

// pages is the local page of a source: every panel at View's size, for -html and for
// -serve (one page per request, ?from=&to= hours, ?tag= and ?cloud=; a bad one is a 400
// naming it).
type pages struct {
	Source godview.Source
	// Latest is the latest hour of the data ("" when none); nil: the latest of a Memory
	// source's rows.
	Latest func(context.Context) (string, error)
	View   godview.View
}

// latest is the latest hour of the page's data.
func (p *pages) latest(ctx context.Context) (string, error) {
	if p.Latest != nil {
		return p.Latest(ctx)
	}
	latest := ""
	if m, ok := p.Source.(*godview.Memory); ok {
		for _, r := range m.Rows {
			latest = max(latest, r.Hour)
		}
	}
	return latest, nil
}

// write renders the page of [from, to) (hours, 2006-01-02T15; empty: the latest 24 hours of
// the data) with the changes tagged tag, of cloud's accounts only when cloud is set.
func (p *pages) write(w io.Writer, from, to, tag, cloud string) error {
	latest, err := p.latest(context.Background())
	if err != nil {
		return err
	}
	r, err := localRange(latest, from, to)
	if err != nil {
		return err
	}
	m, err := godview.Build(context.Background(), p.Source, r, godview.Options{Tag: tag, Cloud: cloud})
	if err != nil {
		return err
	}
	return godview.Page(w, &m, p.View)
}

// ServeHTTP serves the page, rendered per request.
func (p *pages) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	var b bytes.Buffer
	if err := p.write(&b, q.Get("from"), q.Get("to"), q.Get("tag"), q.Get("cloud")); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// localRange is the page's range: -from/-to, else the 24 hours ending with the latest hour of
// the data (replayed trails are old: not the clock's last day).
func localRange(latest, from, to string) (godview.Range, error) {
	var end time.Time
	if to != "" {
		t, err := time.Parse(counters.HourLayout, to)
		if err != nil {
			return godview.Range{}, fmt.Errorf("to %q: want 2006-01-02T15", to)
		}
		end = t
	} else {
		t, err := time.Parse(counters.HourLayout, latest)
		if err != nil {
			t = time.Now().UTC().Truncate(time.Hour)
		}
		end = t.Add(time.Hour)
	}
	start := end.Add(-24 * time.Hour)
	if from != "" {
		t, err := time.Parse(counters.HourLayout, from)
		if err != nil {
			return godview.Range{}, fmt.Errorf("from %q: want 2006-01-02T15", from)
		}
		start = t
	}
	return godview.HourRange(start, end), nil
}

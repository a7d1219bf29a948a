// Package docscheck runs the commands the documentation shows, so every one works as written.
//
// Convention: a fenced block tagged ```sh is run, as one bash script (-e -o pipefail), from the
// repository root, and must exit 0, or N when tagged ```sh exit=N. Blocks tagged ```console need
// an AWS account (sam deploy, aws …) and are not run. Lines running the test suite itself
// (make test, make bench, make lint) are left out of the scripts.
package docscheck

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// block is one runnable fenced block of a page.
type block struct {
	file     string
	line     int
	script   string
	wantExit int
}

var (
	fenceOpen  = regexp.MustCompile("^\\s*```sh(?:\\s+exit=(\\d+))?\\s*$")
	fenceClose = regexp.MustCompile("^\\s*```\\s*$")
	// selfRun are the commands that run this test suite: not run from inside it.
	selfRun = regexp.MustCompile(`^\s*make\s+(test|bench|lint)\b`)
)

// blocks extracts the runnable blocks of a Markdown page.
func blocks(file string, src []byte) ([]block, error) {
	var out []block
	var cur *block
	var body []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil:
			if m := fenceOpen.FindStringSubmatch(line); m != nil {
				cur = &block{file: file, line: n}
				if m[1] != "" {
					cur.wantExit, _ = strconv.Atoi(m[1])
				}
				body = nil
			}
		case fenceClose.MatchString(line):
			var kept []string
			for _, l := range body {
				if !selfRun.MatchString(l) {
					kept = append(kept, l)
				}
			}
			cur.script = strings.Join(kept, "\n")
			out = append(out, *cur)
			cur = nil
		default:
			body = append(body, strings.TrimPrefix(line, "  ")) // blocks inside list items are indented
		}
	}
	if cur != nil {
		return out, fmt.Errorf("%s:%d: block not closed", file, cur.line)
	}
	return out, sc.Err()
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func pages(t *testing.T, dir string) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(dir, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(dir, "README.md")}, docs...)
}

// localEnv is the environment of a documented command: the developer's, outside Lambda.
func localEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_LAMBDA_RUNTIME_API=") && !strings.HasPrefix(kv, "LOG_LEVEL=") {
			env = append(env, kv)
		}
	}
	return env
}

// TestDocumentedCommands runs every ```sh block of README.md and docs/*.md.
func TestDocumentedCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the documented commands (builds the functions)")
	}
	dir := root(t)
	// Build the binaries once; the blocks' own "make local" then finds them up to date.
	build := exec.Command("make", "local")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make local: %v\n%s", err, out)
	}
	var all []block
	for _, p := range pages(t, dir) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		bs, err := blocks(rel, src)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, bs...)
	}
	if len(all) < 5 {
		t.Fatalf("only %d runnable blocks found: the convention (```sh) is not followed", len(all))
	}
	for _, b := range all {
		t.Run(fmt.Sprintf("%s:%d", b.file, b.line), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", b.script)
			cmd.Dir = dir
			cmd.Env = localEnv()
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			exit := 0
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee):
				exit = ee.ExitCode()
			case err != nil:
				t.Fatalf("run: %v", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("timed out:\n%s", b.script)
			}
			if exit != b.wantExit {
				tail := out
				if len(tail) > 4000 {
					tail = tail[len(tail)-4000:]
				}
				t.Errorf("exit %d, want %d\nscript:\n%s\noutput (end):\n%s", exit, b.wantExit, b.script, tail)
			}
		})
	}
}

// TestBlocks pins the convention: which blocks run, with which expected status.
func TestBlocks(t *testing.T) {
	src := "# page\n```sh\necho one\nmake test\n```\n```console\naws s3 ls\n```\n- item\n\n  ```sh exit=2\n  false\n  ```\n```yaml\nk: v\n```\n"
	got, err := blocks("p.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []block{{file: "p.md", line: 2, script: "echo one"}, {file: "p.md", line: 11, script: "false", wantExit: 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("blocks = %+v, want %+v", got, want)
	}
	if _, err := blocks("p.md", []byte("```sh\necho\n")); err == nil {
		t.Error("an unclosed block is not reported")
	}
}

// TestHelpListsEveryVariable: each function's -h documents every variable it reads.
func TestHelpListsEveryVariable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the functions")
	}
	dir := root(t)
	build := exec.Command("make", "local")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make local: %v\n%s", err, out)
	}
	for _, fn := range []string{"logincheck", "rules", "aggregate", "partitions", "tagenrich"} {
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(dir, "bin", "local", fn), "-h")
			cmd.Env = localEnv()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("-h: %v\n%s", err, out)
			}
			for _, want := range []string{"Usage:", "Inputs:", "Flags:", "-json", "-v", "Environment", "LOG_LEVEL", "AWS_ENDPOINT_URL"} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("-h lacks %q", want)
				}
			}
			if bytes.Contains(out, []byte("(undocumented)")) {
				t.Errorf("-h lists variables nobody described (add them to the function's Env.Doc or localrun.CommonDoc):\n%s", out)
			}
		})
	}
}

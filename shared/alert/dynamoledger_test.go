package alert

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/shared/testenv"
)

// loseReplies is an HTTP transport in front of dynalite that forwards every request and, for
// the chosen attempts of the chosen UpdateItem (match: by its body, e.g. the fold's, which
// ADDs to folded), throws the reply away once DynamoDB has applied the write: it answers a 500
// InternalServerError, or fails the read with a reset connection. Both are errors the SDK
// retries, so the SDK sends the same UpdateItem again, as it does against real DynamoDB when
// a reply is lost.
type loseReplies struct {
	next  http.RoundTripper
	op    string                 // the operation ("PutItem"); UpdateItem if empty
	match func(body []byte) bool // the write whose replies are lost
	reset bool                   // a reset connection, else a 500
	lose  func(int) bool         // which of the matched writes (0, 1, 2… in order) lose their first reply

	mu            sync.Mutex
	attempts      map[string]int // per SDK invocation (amz-sdk-invocation-id): attempts seen
	writes        int            // matched invocations
	lost, retried int
}

// isFold matches the fold's UpdateItem.
func isFold(body []byte) bool { return bytes.Contains(body, []byte("ADD folded")) }

func (rt *loseReplies) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	_ = req.Body.Close()
	fwd := req.Clone(req.Context())
	fwd.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := rt.next.RoundTrip(fwd)
	op := rt.op
	if op == "" {
		op = "UpdateItem"
	}
	matched := strings.HasSuffix(req.Header.Get("X-Amz-Target"), "."+op) && rt.match(body)
	if err != nil || !matched {
		return resp, err
	}
	rt.mu.Lock()
	id := req.Header.Get("Amz-Sdk-Invocation-Id")
	n := rt.attempts[id]
	rt.attempts[id]++
	lose := false
	if n == 0 {
		lose = rt.lose(rt.writes)
		rt.writes++
	} else {
		rt.retried++
	}
	if lose {
		rt.lost++
	}
	rt.mu.Unlock()
	if !lose {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, resp.Body) // the write has landed; its reply goes nowhere
	_ = resp.Body.Close()
	if rt.reset {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	msg := `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error (injected after the write applied)"}`
	return &http.Response{
		StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"injected"}},
		Body:          io.NopCloser(strings.NewReader(msg)),
		ContentLength: int64(len(msg)),
		Request:       req,
	}, nil
}

// retryingClient is base's client sending through rt, with the SDK's standard retryer, its
// backoff shortened.
func retryingClient(base *dynamodb.Client, rt http.RoundTripper) *dynamodb.Client {
	opts := base.Options()
	opts.HTTPClient = &http.Client{Transport: rt}
	opts.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxBackoff = 5 * time.Millisecond
		o.RateLimiter = ratelimit.None // 120 lost replies in a row would drain the retry quota
	})
	return dynamodb.New(opts)
}

// retryingLedger is a ledger on a fresh table (window 1 h, dedupe 24 h, floodCap) whose client
// sends through rt to dynalite with the SDK's retryer (retryingClient); rt's next and
// attempts are set here.
func retryingLedger(t *testing.T, rt *loseReplies, floodCap int) *DynamoDBLedger {
	t.Helper()
	base := testenv.DynamoDB(t)
	rt.next, rt.attempts = http.DefaultTransport, map[string]int{}
	return &DynamoDBLedger{Client: retryingClient(base, rt), Table: testenv.CreateTable(t, base, "AlertStateTable"),
		Options: LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: floodCap}}
}

// requireRetried fails the test unless some reply was lost and the SDK retried every lost one
// (what: the write, for the message); it returns the replies lost.
func (rt *loseReplies) requireRetried(t *testing.T, what string) int {
	t.Helper()
	rt.mu.Lock()
	lost, retried := rt.lost, rt.retried
	rt.mu.Unlock()
	if lost == 0 || retried < lost {
		t.Fatalf("%d replies lost, %d retries: the SDK did not retry %s", lost, retried, what)
	}
	return lost
}

// ledgerItem is the ledger's item under pk as it is now (a consistent read).
func ledgerItem(t *testing.T, l *DynamoDBLedger, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := l.Client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(l.Table),
		Key: map[string]types.AttributeValue{"pk": str(pk)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("read item %s: %v", pk, err)
	}
	return out.Item
}

// claimer claims, at t0+at, the alert of event id from ip on l (claims expire after 30 s),
// failing the test on an error.
func claimer(ctx context.Context, t *testing.T, l *DynamoDBLedger) func(id, ip string, at time.Duration) (Alert, Claim) {
	return func(id, ip string, at time.Duration) (Alert, Claim) {
		t.Helper()
		a := alertFor(id)
		a.SourceIP = ip
		c, err := l.Claim(ctx, &a, t0.Add(at), t0.Add(at+30*time.Second))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return a, c
	}
}

// TestFoldRetriedBySDKCountsOnce: the SDK (its standard retryer, backoff shortened) retries
// fold UpdateItems whose reply was lost after dynalite applied them; the digest the next
// window's alert carries counts every folded alert exactly once, for alerts with event IDs
// (foldID from the event) and without (from the claim token), and past the bound of the
// recent fold IDs (folds_old), which stays bounded. The transport drops the reply of every
// attempt it chooses, a ConditionalCheckFailed included: the ledger then decides again.
func TestFoldRetriedBySDKCountsOnce(t *testing.T) {
	tests := []struct {
		name     string
		reset    bool
		eventIDs bool
		folds    int
		lose     func(int) bool
	}{
		{"500 after the write, every fold", false, true, 5, func(int) bool { return true }},
		{"connection reset after the write, every fold", true, true, 5, func(int) bool { return true }},
		{"500 after the write, alerts without event IDs", false, false, 5, func(int) bool { return true }},
		{"past the fold-ID bound, every fold and the rotations", false, true, 2*maxFoldIDs + 20,
			func(int) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			rt := &loseReplies{match: isFold, reset: tt.reset, lose: tt.lose}
			l := retryingLedger(t, rt, 1)

			claim := func(i int, at time.Duration) (Alert, Claim) {
				a := sample()
				a.EventID, a.SourceIP = "", fmt.Sprintf("198.51.100.%d", i%250)
				if tt.eventIDs {
					a.EventID = fmt.Sprintf("ev-%d", i)
				}
				c, err := l.Claim(ctx, &a, t0.Add(at), t0.Add(at+30*time.Second))
				if err != nil {
					t.Fatalf("alert %d: %v", i, err)
				}
				return a, c
			}
			a, c := claim(0, 0)
			if c.Action != Send {
				t.Fatalf("first alert: %v", c.Action)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= tt.folds; i++ {
				if _, c := claim(i, time.Minute+time.Duration(i)*time.Second); c.Action != Suppress || !c.Fold {
					t.Fatalf("alert %d: %v fold=%v, want folded", i, c.Action, c.Fold)
				}
			}
			lost := rt.requireRetried(t, "every lost fold")

			flood := ledgerItem(t, l, floodKey(&a))
			if n, o := len(setAttr(flood, "folds")), len(setAttr(flood, "folds_old")); n > maxFoldIDs || o > maxFoldIDs {
				t.Errorf("recent fold IDs: %d + %d, want at most %d each", n, o, maxFoldIDs)
			} else if tt.folds > maxFoldIDs && o != maxFoldIDs {
				t.Errorf("%d folds, %d + %d recent fold IDs: the set never rotated", tt.folds, n, o)
			}

			a, c = claim(1000, 61*time.Minute)
			if c.Action != Send || c.Folded != tt.folds {
				t.Errorf("after the window: %v carrying +%d, want +%d (%d fold replies lost and retried by the SDK)",
					c.Action, c.Folded, tt.folds, lost)
			}
			if err := l.Commit(ctx, &a, c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFoldID: one event's finding is one fold ID whatever the claim; without an event ID the
// claim token is the identity; IDs are 12 characters.
func TestFoldID(t *testing.T) {
	a, b := alertFor("ev-1"), alertFor("ev-2")
	noEvent := alertFor("")
	switch {
	case foldID(&a, "t1") != foldID(&a, "t2"):
		t.Error("a redelivered event (another claim token) has another fold ID")
	case foldID(&a, "t1") == foldID(&b, "t1"):
		t.Error("two events share a fold ID")
	case foldID(&noEvent, "t1") == foldID(&noEvent, "t2"):
		t.Error("two claims of alerts without event IDs share a fold ID")
	case len(foldID(&a, "t1")) != 12:
		t.Errorf("fold ID %q is not 12 characters", foldID(&a, "t1"))
	}
}

// wireStep is one alert of a TestLedgerWritesRetriedBySDKCountOnce scenario: its event and
// source, when, what the ledger must decide, and for a Send what it carries and how it ends.
type wireStep struct {
	event, ip  string
	at         time.Duration // after t0
	want       Action
	fold       bool // a Suppress decided by flood control
	folded     int  // Send: the digest carried
	suppressed int  // Send: the repeats reported
	release    bool // Send: Release (a failed publish), else Commit
}

// repeats is a finding from ip sent, then repeated n times inside its window (every 10 s).
func repeats(ip string, n int) []wireStep {
	steps := []wireStep{{event: "e0", ip: ip, want: Send}}
	for i := 1; i <= n; i++ {
		steps = append(steps, wireStep{event: fmt.Sprintf("e%d", i), ip: ip, at: time.Duration(i) * 10 * time.Second, want: Suppress})
	}
	return steps
}

// TestLedgerWritesRetriedBySDKCountOnce: the SDK (its standard retryer) retries a write of the
// ledger whose reply was lost after dynalite applied it, every time that write is made; each
// scenario's decisions, digests and counts are exactly those of a ledger that saw every reply.
// Before each write was guarded, the retried opening of a window carried no digest (cap 3) or
// folded its own alert (cap 1) and stranded the digest; a retried count reached the cap early
// (the third alert of cap 3 folded) or folded its own alert (cap 2); a retried fingerprint
// claim suppressed its own alert (lost: counted as a repeat behind a claim nobody held); a
// retried suppression, Commit or Release counted twice.
func TestLedgerWritesRetriedBySDKCountOnce(t *testing.T) {
	contains := func(s string) func([]byte) bool {
		return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
	}
	const sameIP = "198.51.100.1"
	tests := []struct {
		name          string
		op            string            // the write's operation, if not UpdateItem
		write         func([]byte) bool // the write whose every reply is lost once
		floodCap      int
		steps         []wireStep
		wantSent      int // the flood item's sent at the end
		total, suppr  int // the fingerprint of sameIP at the end, when checked
		checkFingerpr bool
	}{
		{name: "window opening, cap 3", write: contains("SET win_start = :now"), floodCap: 3, steps: []wireStep{
			{event: "e0", ip: ".0", want: Send},
			{event: "e1", ip: ".1", at: time.Minute, want: Send},
			{event: "e2", ip: ".2", at: 2 * time.Minute, want: Send},
			{event: "f1", ip: ".3", at: 3 * time.Minute, want: Suppress, fold: true},
			{event: "f2", ip: ".4", at: 4 * time.Minute, want: Suppress, fold: true},
			{event: "o1", ip: ".5", at: 61 * time.Minute, want: Send, folded: 2},
			{event: "o2", ip: ".6", at: 62 * time.Minute, want: Send},
			{event: "o3", ip: ".7", at: 63 * time.Minute, want: Send},
			{event: "o4", ip: ".8", at: 64 * time.Minute, want: Suppress, fold: true},
			{event: "z", ip: ".9", at: 125 * time.Minute, want: Send, folded: 1},
		}, wantSent: 1},
		{name: "window opening, cap 1", write: contains("SET win_start = :now"), floodCap: 1, steps: []wireStep{
			{event: "e0", ip: ".0", want: Send},
			{event: "f1", ip: ".1", at: time.Minute, want: Suppress, fold: true},
			{event: "f2", ip: ".2", at: 2 * time.Minute, want: Suppress, fold: true},
			{event: "o1", ip: ".3", at: 61 * time.Minute, want: Send, folded: 2},
			{event: "o2", ip: ".4", at: 62 * time.Minute, want: Suppress, fold: true},
			{event: "z", ip: ".5", at: 125 * time.Minute, want: Send, folded: 1},
		}, wantSent: 1},
		{name: "window opening, its digest released and carried again", write: contains("SET win_start = :now"), floodCap: 1, steps: []wireStep{
			{event: "e0", ip: ".0", want: Send},
			{event: "f1", ip: ".1", at: time.Minute, want: Suppress, fold: true},
			{event: "o1", ip: ".3", at: 61 * time.Minute, want: Send, folded: 1, release: true},
			{event: "o1", ip: ".3", at: 62 * time.Minute, want: Send, folded: 1},
			{event: "o2", ip: ".4", at: 63 * time.Minute, want: Suppress, fold: true},
			{event: "z", ip: ".5", at: 125 * time.Minute, want: Send, folded: 1},
		}, wantSent: 1},
		{name: "count in the window, cap 3", write: contains("ADD sent :one"), floodCap: 3, steps: []wireStep{
			{event: "e0", ip: ".0", want: Send},
			{event: "e1", ip: ".1", at: time.Minute, want: Send},
			{event: "e2", ip: ".2", at: 2 * time.Minute, want: Send},
			{event: "f1", ip: ".3", at: 3 * time.Minute, want: Suppress, fold: true},
			{event: "z", ip: ".9", at: 61 * time.Minute, want: Send, folded: 1},
		}, wantSent: 1},
		{name: "count reaching the cap, cap 2", write: contains("ADD sent :one"), floodCap: 2, steps: []wireStep{
			{event: "e0", ip: ".0", want: Send},
			{event: "e1", ip: ".1", at: time.Minute, want: Send},
			{event: "f1", ip: ".3", at: 3 * time.Minute, want: Suppress, fold: true},
			{event: "z", ip: ".9", at: 61 * time.Minute, want: Send, folded: 1},
		}, wantSent: 1},
		{name: "release of a counted alert, cap 3", write: contains("ADD sent :minus"), floodCap: 3, steps: []wireStep{
			{event: "e0", ip: ".0", want: Send},
			{event: "e1", ip: ".1", at: time.Minute, want: Send, release: true},
			{event: "e1", ip: ".1", at: 2 * time.Minute, want: Send},
			{event: "e2", ip: ".2", at: 3 * time.Minute, want: Send},
			{event: "f1", ip: ".3", at: 4 * time.Minute, want: Suppress, fold: true},
		}, wantSent: 3},
		{name: "event claim", op: "PutItem", write: contains(`"status":{"S":"claimed"}`), steps: []wireStep{
			{event: "e1", ip: sameIP, want: Send},
			{event: "e1", ip: sameIP, at: time.Minute, want: Duplicate},
			{event: "e2", ip: sameIP, at: 2 * time.Minute, want: Suppress},
		}, wantSent: 1, checkFingerpr: true, total: 2, suppr: 1},
		{name: "fingerprint claim", write: contains("SET #s = :claimed, #t = :token"), steps: []wireStep{
			{event: "e1", ip: sameIP, want: Send},
			{event: "e2", ip: sameIP, at: time.Minute, want: Suppress},
			{event: "e3", ip: sameIP, at: 61 * time.Minute, want: Send, suppressed: 1},
		}, wantSent: 1, checkFingerpr: true, total: 3, suppr: 0},
		{name: "suppression", write: contains("ADD suppressed :one"), steps: []wireStep{
			{event: "e1", ip: sameIP, want: Send},
			{event: "e2", ip: sameIP, at: time.Minute, want: Suppress},
			{event: "e3", ip: sameIP, at: 2 * time.Minute, want: Suppress},
			{event: "e4", ip: sameIP, at: 61 * time.Minute, want: Send, suppressed: 2},
			{event: "e5", ip: sameIP, at: 62 * time.Minute, want: Suppress},
		}, wantSent: 1, checkFingerpr: true, total: 5, suppr: 1},
		{name: "suppression, past the bound of its IDs", write: contains("ADD suppressed :one"), steps: repeats(sameIP, 2*maxSupIDs+5),
			wantSent: 1, checkFingerpr: true, total: 2*maxSupIDs + 6, suppr: 2*maxSupIDs + 5},
		{name: "commit of the fingerprint", write: contains("SET #s = :sent, last_sent = :now"), steps: []wireStep{
			{event: "e1", ip: sameIP, want: Send},
			{event: "e2", ip: sameIP, at: time.Minute, want: Suppress},
			{event: "e3", ip: sameIP, at: 2 * time.Minute, want: Suppress},
			{event: "e4", ip: sameIP, at: 61 * time.Minute, want: Send, suppressed: 2},
		}, wantSent: 1, checkFingerpr: true, total: 4, suppr: 0},
		{name: "release of the fingerprint", write: contains("SET #s = :released ADD #total :minus"), steps: []wireStep{
			{event: "e1", ip: sameIP, want: Send, release: true},
			{event: "e1", ip: sameIP, at: time.Minute, want: Send},
			{event: "e2", ip: sameIP, at: 2 * time.Minute, want: Suppress},
		}, wantSent: 1, checkFingerpr: true, total: 2, suppr: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			rt := &loseReplies{op: tt.op, match: tt.write, lose: func(int) bool { return true }}
			l := retryingLedger(t, rt, tt.floodCap)
			var a Alert
			for i, s := range tt.steps {
				a = alertFor(s.event)
				a.SourceIP = s.ip
				if strings.HasPrefix(s.ip, ".") {
					a.SourceIP = "198.51.100" + s.ip
				}
				now := t0.Add(s.at)
				c, err := l.Claim(ctx, &a, now, now.Add(30*time.Second))
				if err != nil {
					t.Fatalf("step %d (%s): %v", i, s.event, err)
				}
				if c.Action != s.want || c.Fold != s.fold {
					t.Fatalf("step %d (%s at +%s): %v fold=%v, want %v fold=%v", i, s.event, s.at, c.Action, c.Fold, s.want, s.fold)
				}
				if c.Action != Send {
					continue
				}
				if c.Folded != s.folded || c.Suppressed != s.suppressed {
					t.Errorf("step %d (%s): carries +%d folded and %d suppressed, want +%d and %d", i, s.event, c.Folded, c.Suppressed, s.folded, s.suppressed)
				}
				if s.release {
					err = l.Release(ctx, &a, c)
				} else {
					err = l.Commit(ctx, &a, c)
				}
				if err != nil {
					t.Fatalf("step %d (%s): finish: %v", i, s.event, err)
				}
			}
			lost := rt.requireRetried(t, "every lost write")
			if n := intAttr(ledgerItem(t, l, floodKey(&a)), "sent"); tt.floodCap > 0 && n != tt.wantSent {
				t.Errorf("the flood window counts %d sent, want %d", n, tt.wantSent)
			}
			if tt.checkFingerpr {
				if total, suppressed := dynamoCounts(t, l, &a); total != tt.total || suppressed != tt.suppr {
					t.Errorf("fingerprint total=%d suppressed=%d, want %d and %d (%d replies lost)", total, suppressed, tt.total, tt.suppr, lost)
				}
				fp := ledgerItem(t, l, fingerprintKey(&a))
				if n, o := len(setAttr(fp, "sups")), len(setAttr(fp, "sups_old")); n > maxSupIDs || o > maxSupIDs {
					t.Errorf("recent suppression IDs: %d + %d, want at most %d each", n, o, maxSupIDs)
				} else if tt.suppr > 2*maxSupIDs && o != maxSupIDs {
					t.Errorf("%d suppressions, %d + %d recent IDs: the set never rotated", tt.suppr, n, o)
				}
				if size := itemSize(fp); size > 1024 {
					t.Errorf("the fingerprint item is %d bytes: its writes cost more than one WCU", size)
				} else {
					t.Logf("fingerprint item: %d bytes", size)
				}
			}
		})
	}
}

// TestOpenerReleaseRetriedBySDKStaysDue: the alert that opened a window with a digest fails to
// publish and is released; the release's write lands and the SDK retries it. The digest goes
// back to the flood and is filed as due all the same, so the flush reports it once should no
// alert of the flood come (before, the retry's failed condition skipped the due entry, and a
// flood that stopped there was never reported).
func TestOpenerReleaseRetriedBySDKStaysDue(t *testing.T) {
	ctx := context.Background()
	rt := &loseReplies{lose: func(int) bool { return true },
		match: func(b []byte) bool { return bytes.Contains(b, []byte("SET folded = d_folded")) }}
	l := retryingLedger(t, rt, 1)
	claim := claimer(ctx, t, l)
	flush := func(at time.Duration) []*Digest { return flushAll(ctx, t, l, at) }
	a, c := claim("e0", "198.51.100.1", 0)
	if err := l.Commit(ctx, &a, c); err != nil {
		t.Fatal(err)
	}
	if _, c := claim("f1", "198.51.100.2", time.Minute); !c.Fold {
		t.Fatalf("f1: %v, want folded", c.Action)
	}
	a, c = claim("o1", "198.51.100.3", 61*time.Minute)
	if c.Action != Send || c.Folded != 1 {
		t.Fatalf("the opener: %v carrying +%d, want +1", c.Action, c.Folded)
	}
	if got := flush(62 * time.Minute); len(got) != 0 { // the opener holds the digest: nothing, the old entry dropped
		t.Fatalf("flush while the opener holds the digest: %d digests", len(got))
	}
	if err := l.Release(ctx, &a, c); err != nil {
		t.Fatal(err)
	}
	if lost := rt.requireRetried(t, "the release"); lost != 1 {
		t.Fatalf("%d replies lost, want the release's one", lost)
	}
	got := flush(70 * time.Minute)
	if len(got) != 1 || got[0].Alert.Folded != 1 {
		t.Fatalf("flush after the released opener: %d digests, want one of +1", len(got))
	}
	if again := flush(75 * time.Minute); len(again) != 0 {
		t.Errorf("a later flush: %d digests, want none", len(again))
	}
}

// flushAll is a flush of l at t0+at: every due digest claimed and committed (nothing
// published); it returns the digests.
func flushAll(ctx context.Context, t *testing.T, l *DynamoDBLedger, at time.Duration) []*Digest {
	t.Helper()
	now := t0.Add(at)
	due, err := l.DueDigests(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Digest
	for _, d := range due {
		dg, err := l.ClaimDigest(ctx, d, now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if dg != nil {
			out = append(out, dg)
			if err := l.CommitDigest(ctx, dg); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// strandOpener sends e0 at 10:02, folds two alerts (10:03, 10:04), and opens the next window
// at 11:03 with an alert carrying their +2 whose invocation dies there: no Commit, no Release,
// no redelivery. It returns e0.
func strandOpener(ctx context.Context, t *testing.T, l *DynamoDBLedger, claim func(id, ip string, at time.Duration) (Alert, Claim)) Alert {
	t.Helper()
	a, c := claim("e0", "198.51.100.1", 0)
	if err := l.Commit(ctx, &a, c); err != nil {
		t.Fatal(err)
	}
	claim("f1", "198.51.100.2", time.Minute)
	claim("f2", "198.51.100.3", 2*time.Minute)
	if _, c := claim("o1", "198.51.100.4", 61*time.Minute); c.Action != Send || c.Folded != 2 {
		t.Fatalf("the opener: %v carrying +%d, want +2", c.Action, c.Folded)
	}
	return a
}

// TestDeadOpenerDigestGivenBackByFlushRetriedBySDK: the alert that opened a window with a +2
// digest dies, its window folds one more, and the flood stops. The flush after that window
// gives the digest back to folded (folded = folded + d_folded, not idempotent by itself) and
// the SDK retries that write after it landed: the retry's condition (the same opener and
// window) fails, so the digest is counted once: one +3 digest since 10:03, then nothing.
func TestDeadOpenerDigestGivenBackByFlushRetriedBySDK(t *testing.T) {
	ctx := context.Background()
	rt := &loseReplies{lose: func(int) bool { return true },
		match: func(b []byte) bool { return bytes.Contains(b, []byte("folded = folded + d_folded")) }}
	l := retryingLedger(t, rt, 1)
	claim := claimer(ctx, t, l)
	a := strandOpener(ctx, t, l, claim)
	if _, c := claim("g1", "198.51.100.5", 62*time.Minute); !c.Fold {
		t.Fatalf("g1: %v, want folded", c.Action)
	}
	if got := flushAll(ctx, t, l, 65*time.Minute); len(got) != 0 {
		t.Fatalf("flush inside the opener's window: %d digests, want none", len(got))
	}
	got := flushAll(ctx, t, l, 125*time.Minute)
	if len(got) != 1 || got[0].Alert.Folded != 3 || !got[0].Alert.FoldedSince.Equal(t0.Add(time.Minute)) {
		t.Fatalf("flush after the opener's window: %d digests %+v, want one of +3 since 10:03", len(got), got)
	}
	if lost := rt.requireRetried(t, "the flush's give-back"); lost != 1 {
		t.Fatalf("%d replies lost, want the give-back's one", lost)
	}
	if again := flushAll(ctx, t, l, 130*time.Minute); len(again) != 0 {
		t.Errorf("a later flush: %d digests, want none", len(again))
	}
	item := ledgerItem(t, l, floodKey(&a))
	if _, ok := item["opener"]; ok || intAttr(item, "folded") != 0 || intAttr(item, "d_folded") != 0 {
		t.Errorf("flood item after the flush: opener %v folded %d d_folded %d, want none left", item["opener"], intAttr(item, "folded"), intAttr(item, "d_folded"))
	}
}

// TestUnfinishedOpenerDigestCarriedByNextOpening: the alert that opened a window with a +2
// digest never finishes (its invocation dies after the claim; no redelivery comes inside the
// window). The next window's opening gives that digest back to the flood before it opens, so
// it carries +2 with the window's own 2 folds, since the first of them all: +4 since 10:03.
// Before, the opening overwrote the stranded digest and carried +2.
func TestUnfinishedOpenerDigestCarriedByNextOpening(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	l := &DynamoDBLedger{Client: client, Table: testenv.CreateTable(t, client, "AlertStateTable"),
		Options: LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 1}}
	claim := claimer(ctx, t, l)
	strandOpener(ctx, t, l, claim)
	claim("f3", "198.51.100.5", 62*time.Minute)
	claim("f4", "198.51.100.6", 63*time.Minute)
	a, c := claim("z", "198.51.100.7", 125*time.Minute)
	if c.Action != Send || c.Folded != 4 || !c.FoldedSince.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the second window: %v carrying +%d since %v, want +4 since 10:03", c.Action, c.Folded, c.FoldedSince)
	}
	if err := l.Commit(ctx, &a, c); err != nil {
		t.Fatal(err)
	}
	if _, c := claim("y", "198.51.100.8", 190*time.Minute); c.Action != Send || c.Folded != 0 {
		t.Errorf("after the third window: %v carrying +%d, want nothing more", c.Action, c.Folded)
	}
}

// itemSize is an item's size as DynamoDB bills it (names and values, numbers by their digits,
// a rough upper bound): the write units its writes cost.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)/2 + 1
		case *types.AttributeValueMemberSS:
			for _, e := range v.Value {
				n += len(e)
			}
		default:
			n += 100
		}
	}
	return n
}

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

// loseFoldReplies is an HTTP transport in front of dynalite that forwards every request and,
// for the chosen attempts of the fold's UpdateItem (the one that ADDs to folded), throws the
// reply away once DynamoDB has applied the write: it answers a 500 InternalServerError, or
// fails the read with a reset connection. Both are errors the SDK retries, so the SDK sends
// the same UpdateItem again, as it does against real DynamoDB when a reply is lost.
type loseFoldReplies struct {
	next  http.RoundTripper
	reset bool           // a reset connection, else a 500
	lose  func(int) bool // which folds (0, 1, 2… in order) lose their first reply

	mu            sync.Mutex
	attempts      map[string]int // per SDK invocation (amz-sdk-invocation-id): fold attempts seen
	folds         int            // fold invocations
	lost, retried int
}

func (rt *loseFoldReplies) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	_ = req.Body.Close()
	fwd := req.Clone(req.Context())
	fwd.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := rt.next.RoundTrip(fwd)
	isFold := strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".UpdateItem") && bytes.Contains(body, []byte("ADD folded"))
	if err != nil || !isFold {
		return resp, err
	}
	rt.mu.Lock()
	id := req.Header.Get("Amz-Sdk-Invocation-Id")
	n := rt.attempts[id]
	rt.attempts[id]++
	lose := false
	if n == 0 {
		lose = rt.lose(rt.folds)
		rt.folds++
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
			base := testenv.DynamoDB(t)
			table := testenv.CreateTable(t, base, "AlertStateTable")
			rt := &loseFoldReplies{next: http.DefaultTransport, reset: tt.reset, lose: tt.lose, attempts: map[string]int{}}
			opts := base.Options()
			opts.HTTPClient = &http.Client{Transport: rt}
			opts.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxBackoff = 5 * time.Millisecond
				o.RateLimiter = ratelimit.None // 120 lost replies in a row would drain the retry quota
			})
			l := &DynamoDBLedger{Client: dynamodb.New(opts), Table: table,
				Options: LedgerOptions{Window: time.Hour, DedupeFor: 24 * time.Hour, FloodCap: 1}}

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
			rt.mu.Lock()
			lost, retried := rt.lost, rt.retried
			rt.mu.Unlock()
			if lost == 0 || retried < lost {
				t.Fatalf("%d replies lost, %d retries: the SDK did not retry every lost fold", lost, retried)
			}

			out, err := l.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
				Key: map[string]types.AttributeValue{"pk": str(floodKey(&a))}, ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if n, o := len(setAttr(out.Item, "folds")), len(setAttr(out.Item, "folds_old")); n > maxFoldIDs || o > maxFoldIDs {
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

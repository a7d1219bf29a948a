package localstate

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestCloudStateOutlivesTheRun: a second run on the same directory finds the cursor and the
// seen events of the first, and two handles on one directory (two local processes) mark an
// event once between them.
func TestCloudStateOutlivesTheRun(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 12, 40, 0, 0, time.UTC)
	open := func() (*DB, *CloudState) {
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewCloudState(ctx, db, func() time.Time { return at })
		if err != nil {
			t.Fatal(err)
		}
		return db, s
	}
	db, s := open()
	if err := s.SetCursor(ctx, "ali-main", at); err != nil {
		t.Fatal(err)
	}
	if first, err := s.MarkSeen(ctx, "alibaba#E1", at.Add(48*time.Hour)); err != nil || !first {
		t.Fatalf("mark: %v %v", first, err)
	}
	db.Close()

	db1, s1 := open()
	defer db1.Close()
	if c, err := s1.Cursor(ctx, "ali-main"); err != nil || !c.Equal(at) {
		t.Errorf("cursor after reopening: %s, %v", c, err)
	}
	if seen, err := s1.Seen(ctx, "alibaba#E1"); err != nil || !seen {
		t.Errorf("seen after reopening: %v, %v", seen, err)
	}
	db2, s2 := open()
	defer db2.Close()
	var wg sync.WaitGroup
	wins := make(chan bool, 20)
	for i := range 20 {
		s := []*CloudState{s1, s2}[i%2]
		wg.Go(func() {
			first, err := s.MarkSeen(ctx, "tencent#E2", at.Add(time.Hour))
			if err != nil {
				t.Error(err)
			}
			wins <- first
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d handles marked the event first, want 1", n)
	}
}

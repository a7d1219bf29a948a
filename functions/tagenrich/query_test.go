package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/tags"
)

func TestQuery(t *testing.T) {
	ctx := context.Background()
	db := &MemoryStore{}
	add := func(id, at, principal, project string) {
		if _, _, err := db.Put(ctx, Change{EventID: id, Time: at, Account: "111122223333", EventName: "E" + id, Principal: principal,
			Resource: "arn:aws:s3:::b" + id, Tags: tags.Tags{"project": project}}); err != nil {
			t.Fatal(err)
		}
	}
	add("1", "2026-11-20T09:00:00Z", "alice", "apollo")
	add("2", "2026-11-20T11:00:00Z", "bob", "apollo")
	add("3", "2026-11-20T10:00:00Z", "alice", "apollo")
	add("4", "2026-11-20T10:30:00Z", "alice", "zeus")
	add("5", "2026-11-18T10:30:00Z", "alice", "apollo") // before the window
	from, to := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		q    query
		want string // event names, newest first
	}{
		{"by tag", query{Tag: "project=apollo", From: from, To: to}, "E2 E3 E1"},
		{"by principal", query{Principal: "alice", From: from, To: to}, "E4 E3 E1"},
		{"by tag and principal", query{Tag: "project=apollo", Principal: "alice", From: from, To: to}, "E3 E1"},
		{"nothing", query{Tag: "project=hermes", From: from, To: to}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := tt.q.run(ctx, db, &printer{W: &buf})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if f := strings.Fields(line); len(f) > 2 {
					got = append(got, f[2])
				}
			}
			if strings.Join(got, " ") != tt.want || n != len(got) {
				t.Errorf("printed %v (n=%d), want %s\n%s", got, n, tt.want, buf.String())
			}
		})
	}
	if _, err := (query{Tag: "apollo", From: from, To: to}).run(ctx, db, &printer{W: &bytes.Buffer{}}); err == nil {
		t.Error("-query without = accepted")
	}
}

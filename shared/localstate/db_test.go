package localstate

import (
	"context"
	"path/filepath"
	"testing"
)

func TestOpenCreatesTheDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ensure(context.Background(), `CREATE TABLE IF NOT EXISTS probe (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if db.Path != filepath.Join(dir, FileName) {
		t.Fatalf("path %s", db.Path)
	}
	if _, err := Open(""); err == nil {
		t.Fatal("empty directory accepted")
	}
}

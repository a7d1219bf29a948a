package tags

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadStatic(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tags.json")
	if err := os.WriteFile(good, []byte(`{"arn:aws:s3:::apollo-data": {"project": "apollo"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadStatic(good)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Lookup(context.Background(), []Ref{{ARN: "arn:aws:s3:::apollo-data"}, {ARN: "arn:aws:s3:::other"}})
	if a := got["arn:aws:s3:::apollo-data"]; !a.Found || !a.Tags.Has("project", "apollo") {
		t.Errorf("listed bucket: %+v", a)
	}
	if a := got["arn:aws:s3:::other"]; a.Found {
		t.Errorf("unlisted bucket found: %+v", a)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`["not", "a map"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadStatic(bad); err == nil {
		t.Error("a JSON array loaded as a tags file")
	}
	if _, err := LoadStatic(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
}

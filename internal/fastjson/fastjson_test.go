package fastjson_test

import (
	stdjson "encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestDecodersAgreeOnTheSamples: whichever decoder a build uses (goccy/go-json by default,
// encoding/json with the stdjson tag), every sample event decodes to the same values, so
// the tag changes speed only.
func TestDecodersAgreeOnTheSamples(t *testing.T) {
	root := filepath.Join("..", "..", "events")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var fast, std trail.Event
		fastErr := gojson.Unmarshal(data, &fast)
		stdErr := stdjson.Unmarshal(data, &std)
		if (fastErr == nil) != (stdErr == nil) {
			t.Errorf("%s: goccy/go-json says %v, encoding/json %v", path, fastErr, stdErr)
			return nil
		}
		if fastErr == nil && !reflect.DeepEqual(fast, std) {
			t.Errorf("%s: the decoders disagree:\ngoccy/go-json %+v\nencoding/json %+v", path, fast, std)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("only %d samples under %s", n, root)
	}
}

package tags

import (
	"context"
	"fmt"
	"os"

	json "github.com/goccy/go-json"
)

// Static is a Source backed by a fixed map, ARN → tags: the local replay's stand-in for the
// live APIs. A resource absent from the map is not found (as if deleted or never tagged).
type Static map[string]Tags

// LoadStatic reads a JSON object of ARN → {key: value} from path.
func LoadStatic(path string) (Static, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tags file: %w", err)
	}
	var s Static
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("tags file %s: want a JSON object of ARN → {tag: value}: %w", path, err)
	}
	return s, nil
}

// Lookup implements Source.
func (s Static) Lookup(_ context.Context, refs []Ref) map[string]Answer {
	out := make(map[string]Answer, len(refs))
	for _, r := range refs {
		t, ok := s[r.ARN]
		out[r.ARN] = Answer{Tags: t, Found: ok}
	}
	return out
}

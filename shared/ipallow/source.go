package ipallow

import (
	"errors"
	"strings"
)

var errSourceIsIP = errors.New("an IP address or CIDR: list it in " + cidrsVar)

// parseSources reads ALLOWED_SOURCES: comma-separated, each item trimmed,
// empty items skipped. Items that are addresses or CIDRs are rejected, since
// Check never compares an address with this set.
func parseSources(s string) (map[string]struct{}, error) {
	set := make(map[string]struct{})
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if _, err := parsePrefix(item); err == nil {
			return nil, &EntryError{Var: sourcesVar, Entry: item, Err: errSourceIsIP}
		}
		set[item] = struct{}{}
	}
	return set, nil
}

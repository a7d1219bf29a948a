package objectevent

import "strings"

// Skippable says whether key names an object that is not an audit log file and needs no
// processing: CloudTrail digest files (integrity validation), CloudTrail Insights files, and
// folder markers (zero-byte keys ending in '/', made by the console's "Create folder").
// The reason is for the log line.
func Skippable(key string) (reason string, skip bool) {
	switch {
	case strings.HasSuffix(key, "/"):
		return "folder marker", true
	case hasSegment(key, "CloudTrail-Digest"):
		return "CloudTrail digest file", true
	case hasSegment(key, "CloudTrail-Insight"):
		return "CloudTrail Insights file", true
	}
	return "", false
}

// hasSegment reports whether seg is a whole '/'-separated directory segment of key.
func hasSegment(key, seg string) bool {
	return strings.HasPrefix(key, seg+"/") || strings.Contains(key, "/"+seg+"/")
}

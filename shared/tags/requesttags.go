package tags

// tagListKeys are the request parameters that carry a resource's tags, as CloudTrail writes
// them: a list of {key, value} (RDS, ELB, DynamoDB, SNS, IAM), of {tagKey, tagValue} (KMS),
// a map (Lambda, SQS), or S3's {"Tagging": {"TagSet": {"Tag": [...]}}}.
var tagListKeys = []string{"tags", "Tags", "tagSet", "TagSet", "tagList", "TagList", "Tagging", "tagging"}

// requestTags returns the tags a request carries, or nil when it carries none.
func requestTags(req map[string]any) Tags {
	for _, k := range tagListKeys {
		if t, ok := parseTags(req[k]); ok {
			return t
		}
	}
	return nil
}

// pairKeys and pairValues are the spellings of a tag's key and value fields across services
// (CloudTrail lower-cases the first letter of most, but not all, request fields).
var (
	pairKeys   = []string{"key", "Key", "tagKey", "TagKey"}
	pairValues = []string{"value", "Value", "tagValue", "TagValue"}
)

// parseTags reads one tag container in any of the shapes CloudTrail records. It reports false
// when v is not a tag container (an empty string, a number, a list of something else).
func parseTags(v any) (Tags, bool) {
	switch t := v.(type) {
	case []any:
		out := Tags{}
		for _, e := range t {
			o, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			k, v, ok := pair(o)
			if !ok {
				return nil, false
			}
			out[k] = v
		}
		return out, true
	case map[string]any:
		for _, wrapper := range []string{"items", "TagSet", "tagSet", "Tag", "tag"} {
			if inner, ok := t[wrapper]; ok {
				if isEmpty(inner) {
					return Tags{}, true
				}
				return parseTags(inner)
			}
		}
		if k, v, ok := pair(t); ok {
			return Tags{k: v}, true
		}
		out := Tags{}
		for k, v := range t {
			s, ok := v.(string)
			if !ok {
				return nil, false
			}
			if k == "xmlns" {
				continue
			}
			out[k] = s
		}
		return out, true
	}
	return nil, false
}

// pair reads one {key, value} object; a missing value is the empty string, as AWS allows.
func pair(o map[string]any) (key, value string, ok bool) {
	for _, kf := range pairKeys {
		if k, isString := o[kf].(string); isString {
			for _, vf := range pairValues {
				if v, isString := o[vf].(string); isString {
					return k, v, true
				}
			}
			return k, "", true
		}
	}
	return "", "", false
}

// isEmpty reports an empty container as CloudTrail writes one: "", {}, [] or null.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

package tags

import "strings"

// extractKMS reads the key when the record has no resources[] (KMS records usually list the
// key there): responseElements.keyMetadata.arn, else requestParameters.keyId (a key ID or a
// key ARN; an alias names no key until it is resolved, so it yields none). CreateKey's tags
// ({tagKey, tagValue} pairs) are request tags.
func extractKMS(x *extraction) {
	if a := str(x.resp, "keyMetadata", "arn"); a != "" {
		x.addARNString(a)
	} else if id := str(x.req, "keyId"); id != "" && !strings.HasPrefix(id, "alias/") && !strings.Contains(id, ":alias/") {
		x.addID("kms", "key/", id, nil)
	}
	if x.rec.EventName == "CreateKey" {
		x.createTags = requestTags(x.req)
	}
}

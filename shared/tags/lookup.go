package tags

import "context"

// Ref is one resource whose tags to read, and where: its account and region.
type Ref struct {
	ARN, Account, Region string
}

// Answer is what a Source learned about one resource.
type Answer struct {
	Tags Tags
	// Found: the service knows the resource and returned its tag set (possibly empty). Not
	// found is not an error: a deleted resource, or one never tagged, is simply not listed.
	Found bool
	// Err: the lookup failed, after the SDK's retries (throttling, denied, unreachable).
	Err error
}

// Source reads the current tags of resources. It answers for every ref it is given; one
// failing account or region does not fail the others.
type Source interface {
	Lookup(ctx context.Context, refs []Ref) map[string]Answer
}

// Package events embeds the sample data a function's local run uses by default, so a local
// run works from any working directory: the tag enricher's ARN → tags file and the
// aggregator's sample bucket. The sample events themselves are read from their files.
package events

import (
	"embed"
	"io/fs"
)

// Tags is tags.json: ARN → tags, the local stand-in for the tagging APIs.
//
//go:embed tags.json
var Tags []byte

//go:embed aggregate/data
var aggregateData embed.FS

// AggregateBucket is aggregate/data: the sample trail bucket the aggregate samples name,
// key k at path k.
func AggregateBucket() fs.FS {
	sub, err := fs.Sub(aggregateData, "aggregate/data")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	return sub
}

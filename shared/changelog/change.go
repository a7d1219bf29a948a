// Package changelog is the business-view change log: one record per mutating call and resource,
// with the resource's tags, kept once per event and resource (DynamoStore, MemoryStore) and
// read by tag or principal and time. tagenrich writes it; the god view reads it.
package changelog

import (
	"time"

	"github.com/trailguard/trailguard/shared/tags"
)

// TimeLayout is the change record's time: UTC, to the second (CloudTrail's precision), fixed
// width, so that the table's sort key orders by time as strings.
const TimeLayout = "2006-01-02T15:04:05Z"

// Change is the business-view record of one mutating call on one resource: what an auditor
// needs from the CloudTrail record, plus the resource's tags. Its JSON form is what local
// mode and -query print; its DynamoDB form is the item (see DynamoStore).
type Change struct {
	Time         string    `json:"time" dynamodbav:"at"`
	EventID      string    `json:"event_id" dynamodbav:"event_id"`
	EventName    string    `json:"event_name" dynamodbav:"event_name"`
	EventSource  string    `json:"event_source" dynamodbav:"event_source"`
	Region       string    `json:"region" dynamodbav:"region"`
	Account      string    `json:"account" dynamodbav:"account"`
	Principal    string    `json:"principal" dynamodbav:"principal"`
	UserName     string    `json:"user_name" dynamodbav:"user_name"`
	UserType     string    `json:"user_type" dynamodbav:"user_type"`
	SourceIP     string    `json:"source_ip" dynamodbav:"source_ip"`
	UserAgent    string    `json:"user_agent" dynamodbav:"user_agent"`
	ErrorCode    string    `json:"error_code" dynamodbav:"error_code"`
	Resource     string    `json:"resource" dynamodbav:"resource"`
	ResourceType string    `json:"resource_type" dynamodbav:"resource_type"`
	Tags         tags.Tags `json:"tags" dynamodbav:"tags"`
	// TagsSource says where the tags came from: request, cache, lookup, last-known or none.
	TagsSource string `json:"tags_source" dynamodbav:"tags_source"`
	// TagsUnavailable: the tag lookup failed after retries; Tags are the last known, if any.
	TagsUnavailable bool `json:"tags_unavailable" dynamodbav:"tags_unavailable"`
	// Note says why the tags were not looked up: the resource is in another account than
	// the event's (tags_source other-account).
	Note string `json:"note,omitempty" dynamodbav:"note,omitempty"`

	// LookupError says why the tags were unavailable, for the log only (never stored).
	LookupError string `json:"-" dynamodbav:"-"`
}

// At parses the change's time.
func (c *Change) At() time.Time {
	t, _ := time.Parse(TimeLayout, c.Time)
	return t
}

// Key identifies the change: one event, one resource (a change with no resource is "-").
func (c *Change) Key() string {
	r := c.Resource
	if r == "" {
		r = "-"
	}
	return c.EventID + "|" + r
}

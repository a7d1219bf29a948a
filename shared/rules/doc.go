// Package rules is trailguard's detection-as-code engine: rules written in CEL over one
// CloudTrail record, kept in YAML files together with the test events that show what they
// catch and what they leave alone.
//
// A rule file holds one or more YAML documents, each one rule:
//
//	id: cloudtrail-config-changed        # the alert kind; lowercase letters, digits, dashes
//	title: CloudTrail configuration changed
//	severity: HIGH                       # HIGH, MEDIUM or LOW
//	description: …
//	when: event.eventSource == "cloudtrail.amazonaws.com" && event.eventName in ["StopLogging", "DeleteTrail"]
//	fingerprint: [requestParameters.name] # what else makes two hits one finding
//	threshold: 5                         # optional, with window: alert from the 5th hit …
//	window: 10m                          # … of one fingerprint inside a 10-minute window
//	tests:
//	  - name: trail stopped
//	    expect: true
//	    event: {…}                       # a CloudTrail record, or an EventBridge event carrying one
//
// Every rule is compiled and type-checked when the engine is built (Compile); a rule that does
// not compile is a configuration error naming the file, the rule and the CEL error. The record
// is the CEL variable `event`, a typed object whose fields are CloudTrail's own names (see
// schema.go); the service-specific payloads (requestParameters, responseElements,
// additionalEventData, serviceEventDetails, …) are dynamic JSON maps. Helpers: ipInCidrs,
// arn, missing, getOr (see functions.go).
//
// Both alert paths use this package the same way, so an event seen by both yields alerts with
// the same kind (the rule id) and event ID, which the durable alert layer deduplicates: the
// rules function (EventBridge, real time) calls Detector.Detect, the aggregator (every record
// of each delivered log file, read-only events included) Detector.DetectJSON.
package rules

// Package rules is trailguard's detection-as-code engine: rules written in CEL over one
// CloudTrail record, kept in YAML files together with the test events that show what they
// catch and what they leave alone.
//
// A rule file holds one or more YAML documents, each one rule:
//
//	id: cloudtrail-config-changed        # the alert kind; lowercase letters, digits, dashes
//	title: CloudTrail configuration changed
//	severity: HIGH                       # HIGH, MEDIUM or LOW: see "Severity" below
//	description: …                       # why it matters; its first sentence is what it catches
//	attack: [TA0005, T1562.008]          # MITRE ATT&CK tactic(s) and technique(s), see package attack
//	runbook:                             # 1–5 first things the responder checks (shown in the email)
//	  - Who stopped it, from where? …
//	when: event.eventSource == "cloudtrail.amazonaws.com" && event.eventName in ["StopLogging", "DeleteTrail"]
//	fingerprint: [requestParameters.name] # what else makes two hits one finding
//	threshold: 5                         # optional, with window: alert from the 5th hit …
//	window: 10m                          # … of one fingerprint inside a 10-minute window
//	distinct: requestParameters.secretId # optional: count distinct values of this field, not hits
//	tally: [eventSource, eventName]      # optional: the alert lists these values over the hits, counted
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
// arn, missing, getOr (see functions.go), and externalAccount(event, account): true when
// account (an ID or an ARN) is an AWS account outside the organization — not the event's own,
// and not in TRUSTED_ACCOUNTS when that lists accounts (see TrustedAccounts).
//
// Severity means urgency, the same for every rule: HIGH — act now (it pages: SMS and email);
// MEDIUM — look today (email); LOW — review (the god view, the daily read). A rule is HIGH when
// the event itself is the damage or hides it (logging off, data shared out, an administrator
// made), MEDIUM when it is a likely step of an attack that is also done legitimately, LOW when
// only its repetition or context makes it one.
//
// Both alert paths use this package the same way, so an event seen by both yields alerts with
// the same kind (the rule id) and event ID, which the durable alert layer deduplicates: the
// rules function (EventBridge, real time) calls Detector.Detect, the aggregator (every record
// of each delivered log file, read-only events included) Detector.Detect on the records it
// must decode.
//
// Speed comes from reading the rules' checked CEL, never from hand lists. The prefilter
// (prefilter.go) re-reads each condition over a few plain fields a log-file parser keeps, so
// a record no rule could match is not decoded. Payload paths (paths.go): a payload is decoded
// only along the paths the rules that may run on the record read, however it is decoded. And
// Detector.Known (known.go) judges a record from its kept fields and those paths, found in its
// raw JSON, without decoding it, and Detector.KnownAlerts builds a new finding's alerts from
// them as Detect would: the aggregator decodes only the records those cannot decide (a
// sign-in, a rule reading more than its paths, keys a decoder could read otherwise). There a
// rule's condition is evaluated once per distinct input (verdicts.go): its recent verdicts
// are kept by exactly what it reads, and a finding's fingerprint is hashed once
// (alert.FingerprintMemo). Each shortcut has a test that it finds what decoding everything
// finds (TestPrefilterNeverSkipsAMatch, TestPayloadPathsAgreeWithDecodingWhole,
// TestKnownAgreesWithDetect, TestVerdictKeysDecideTheCondition, FuzzPayloadPaths).
package rules

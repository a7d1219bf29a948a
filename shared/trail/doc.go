// Package trail owns the CloudTrail record every trailguard function reads: its field names
// (the Record struct's JSON tags, listed by Fields), the accepted forms of each (ParseTime for
// eventTime; a missing eventID is derived from the content, DeriveEventID), what makes a record
// unusable (Record.Check: no valid time, no event name, no identity) and what is merely odd.
//
// DecodeEvent (EventBridge) and DecodeRecord (a log file's record, a JSON line) are the one
// entry point. They are strict and fast on well-typed input; only when that fails does a
// field-by-field decode run, which drops each field of an unexpected JSON type, lists its path
// in Record.OddFields and keeps the rest: a field no decision reads (userAgent: 5) never costs
// the record. The fast paths of the functions (the sign-in decoder, the log-file counter
// parser), the CEL schema and the generators take their field names from here or are tested
// against Fields, so a field is named and validated in one place.
package trail

// Package trail holds the CloudTrail record type every trailguard function reads, and the
// decoders for the shapes Lambda delivers it in (EventBridge envelope, bare record).
//
// Decoding is strict about types and lenient about presence: a field of the wrong JSON type
// is an error that names the field's JSON path ("detail.userIdentity.type"), while a missing
// field decodes to its zero value; each function then states which fields it needs with
// Record.Require, so the error names exactly what is missing.
package trail

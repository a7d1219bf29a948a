// Package counters keeps the hourly "god view" of a trail: how many calls each principal made
// from each source, per account, event name, resource type, error code and event type, hour by
// hour, as the delivered log files are counted.
//
// A Parser takes from each record only the fields the counters need, in the pass that validates
// it; a Tally adds the records of one file per distinct counter; a Table (DynamoDB) or a Memory
// store applies the tally, exactly once per file.
//
// # Table layout
//
// One DynamoDB table, keys pk (S) and sk (S), three kinds of items. Key parts are joined by '#';
// a '#' or '%' inside a value is percent-encoded and an empty value is "-", so keys are unique and
// never empty; a key longer than DynamoDB allows ends in a hash instead.
//
//	activity counter   pk = A#<account>#<hour>   sk = <principal>#<source>#<event>#<resource type>#<error>#<event type>
//	                   ip_pk = IP#<source>#<hour>   ip_sk = <account>#<principal>#<event>#<resource type>#<error>#<event type>
//	principal total    pk = P#<account>#<hour>   sk = <principal>      day_pk = <account>#<day>
//	rule counter       pk = R#<rule>#<hour>      sk = <subject>        (failed sign-ins per source, access denied per principal)
//
// Every item has count (N), the dimensions as plain attributes (hour, account, principal,
// source_ip, event_name, resource_type, error_code, event_type; rule, subject), and expires_at
// (TTL: the end of its hour plus the retention). Hours are UTC, "2006-01-02T15"; days "2006-01-02".
// The questions a dashboard asks are each one Query:
//
//   - all activity of account A in hour H: the table, pk = A#A#H (Table.AccountHour);
//   - everything from source IP X in hour H, across accounts: index BySourceIP (ip_pk, ip_sk),
//     ip_pk = IP#X#H (Table.SourceHour);
//   - the busiest principals of account A over day D: index ByAccountDay (day_pk, count), which
//     holds only the principal totals, one per principal and hour: day_pk = A#D, at most 24 items
//     per principal, summed by Table.BusiestPrincipals (descending by count, so the busiest
//     principal-hours come first for a dashboard that wants only those).
//
// # Exactly once
//
// A file is identified by bucket, key and ETag (FileID); its marker is an attribute name derived
// from them. Each write is one UpdateItem:
//
//	SET count = if_not_exists(count, 0) + :inc, <marker> = if_not_exists(count, 0), …
//	CONDITION attribute_not_exists(<marker>)
//
// so an item counts a file at most once, and the marker keeps the count the item had before the
// file. A redelivered file fails the condition on every item and changes nothing; a file retried
// after a failure half-way through its writes fails it on the items already done and completes
// the others. Thresholds compare the totals before and after the file's increment; on a retry the
// marker gives the same totals back, so a crossing is reported by the file that made it, on every
// delivery of that file (the alert layer deduplicates the repeats), and never by another file.
// The writes of a file number its distinct counters, principal-hours and rule counters, never its
// records.
package counters

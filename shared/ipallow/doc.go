// Package ipallow decides whether the source of a sign-in is trusted.
//
// CloudTrail writes the caller's address to sourceIPAddress, but not always an
// address: it may hold "AWS Internal", a service hostname such as
// "signin.amazonaws.com", or a string that only looks like an address. A List
// answers for any of them, and never trusts what it cannot read.
//
// # ALLOWED_CIDRS
//
// CIDRs and bare addresses, IPv4 and IPv6, separated by commas and/or
// whitespace (spaces, tabs, newlines; empty items from doubled or trailing
// commas are skipped). A bare address is a /32 or /128. Parse decides:
//
//   - a CIDR with host bits set (10.1.2.3/8) is accepted and masked to
//     10.0.0.0/8, as routers and firewalls do;
//   - an IPv4-mapped IPv6 entry is its IPv4 equivalent: ::ffff:10.0.0.0/104 is
//     10.0.0.0/8 and ::ffff:203.0.113.9 is 203.0.113.9/32;
//   - an IPv6 prefix never matches an IPv4 source, not even ::/0, because
//     mapped sources are unmapped before the lookup;
//   - zone-scoped (fe80::1%eth0) and leading-zero (010.1.1.1) entries are
//     invalid, as is any entry net/netip cannot parse: each is an *EntryError
//     naming ALLOWED_CIDRS and the entry;
//   - a value with no entry at all is ErrEmpty, never an allow-nothing or
//     allow-everything list;
//   - 0.0.0.0/0 and ::/0 are accepted: they trust every address of their
//     family, which only an explicit entry can ask for;
//   - duplicates count once (Len counts distinct prefixes).
//
// # ALLOWED_SOURCES
//
// Non-IP sources trusted verbatim, separated by commas only ("AWS Internal"
// contains a space), with the whitespace around each item trimmed. Matching is
// exact and case-sensitive: CloudTrail writes each of these strings in one
// spelling, so nothing looser is needed or trusted. An item that is an
// IP address or CIDR is an *EntryError naming ALLOWED_SOURCES: it belongs in
// ALLOWED_CIDRS. The variable may be empty.
//
// # Sources
//
// A source that parses as a plain IP address (net/netip, no zone) is looked up
// in a prefix trie (github.com/gaissmai/bart): at most 4 levels for IPv4 and 16
// for IPv6, however many prefixes it holds. IPv4-mapped IPv6 sources
// (::ffff:203.0.113.9) match as IPv4. Anything else — "AWS Internal", a
// hostname, a zone-scoped or leading-zero address, an empty or
// whitespace-padded string — is untrusted unless listed in ALLOWED_SOURCES.
//
// # How many prefixes fit in the environment
//
// Lambda allows "4 KB, for all environment variables associated with the
// function, in aggregate" (Lambda quotas), measured on the variables as one
// JSON object: at most 4,096 bytes, "key names, values, quotes, commas, and
// brackets" included (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html,
// InvalidParameterValueException "exceeded the 4KB limit. String measured:
// {...}"). {"ALLOWED_CIDRS":""} takes 20 bytes, leaving 4,076 for
// the value if it were the only variable. n entries of L bytes joined by
// single commas take n·L + n − 1 bytes, so n = ⌊(4,076 + 1) / (L + 1)⌋:
//
//	entry (L bytes)                  alone   with 1,000 B of other variables
//	203.0.113.0/24            (14)     271     205
//	198.51.100.17 bare        (13)     291     219
//	203.113.140.0/24          (16)     239     181   widest IPv4 /24
//	2001:db8:abcd::/48        (18)     214     161
//	2a05:d018:1234:5678::/64  (24)     163     123
//
// Separate entries with commas or single spaces there: a newline or tab is
// escaped as \n or \t in that JSON and costs two bytes. ALLOWED_SOURCES, the
// topic ARN and every other setting of the function share the same 4,096
// bytes. A longer list has to be read from elsewhere at start-up and passed to
// Parse; this package only parses.
package ipallow

// Package counters keeps the hourly "god view" of a trail: how many calls each principal made
// from each source, per account, region, event source and name, resource type, error code,
// event type and cloud, hour by hour, as the delivered log files are counted.
//
// A Parser takes from each record only the fields the counters need, in the pass that validates
// it; a Tally adds the records of one file per distinct counter; a Table (DynamoDB) stages the
// tally and merges the files of each account-hour into one write per distinct counter, a
// Memory store (local runs) applies it at once; both exactly once per file.
//
// # Table layout
//
// One DynamoDB table, keys pk (S) and sk (S), three kinds of items. Key parts are joined by '#';
// a '#' or '%' inside a value is percent-encoded and an empty value is "-", so keys are unique and
// never empty; a key longer than DynamoDB allows ends in a hash instead.
//
//	activity counter   pk = A#<account>#<hour>   sk = <principal>#<source>#<event>#<resource type>#<error>#<event type>#<event source>#<cloud>
//	                   ip_pk = IP#<source>#<hour>   ip_sk = <account>#<principal>#<event>#<resource type>#<error>#<event type>#<event source>#<cloud>
//	                   r_<region> (N) per region, regions (SS)
//	principal total    pk = P#<account>#<hour>   sk = <principal>      day_pk = <account>#<day>
//	rule counter       pk = R#<rule>#<hour>      sk = <subject>        (failed sign-ins per source, access denied per principal)
//	hour summary       pk = H#<hour>             sk = t#<account>  count, errors, denied (N), plan (N), s (B)
//	                                             sk = d#<account>  plan (N), s (B)
//
// Every item has count (N), the dimensions as plain attributes (hour, account, principal,
// source_ip, event_name, resource_type, error_code, event_type, event_source, cloud; rule,
// subject), and expires_at (TTL: the end of its hour plus the retention). The cloud is empty
// ("-" in keys) for AWS, the only cloud CloudTrail writes; region and event source are
// awsRegion and eventSource as written. Hours are UTC, "2006-01-02T15"; days "2006-01-02".
//
// An activity counter item is a counter without its region: a principal making the same call
// from the same source in several regions (a scanner, an automation sweeping every region) is
// one item, which counts each region apart in a number attribute r_<region> ("r_" alone for
// records without one) and lists them in the string set regions ("-" for none), both added to
// (ADD) by every merge that counts the item, in the same conditional UpdateItem as its count:
// exactly once, like the count. So the table's rows are the Tally's: Table.AccountHour gives
// one Row per region of an item, with that region's count, and a later plan's summary read
// back from them counts the regions exactly. The BySourceIP index projects named attributes
// only, not the r_ counts: Table.SourceHour gives one Row per item, its Region the item's
// only region, or empty when the item counts several (or the index does not project regions).
// A region that cannot name an attribute (other than a-z, 0-9 and '-', or longer than 32
// bytes: no cloud's region is) and the regions past 64 in one merge keep their region in the
// key, as every activity counter did before (sk and ip_sk with <region> after <event type>,
// and a region attribute): one Row each. Items of either layout read back alike, so an hour
// counted across the change loses and doubles nothing. The Tally, the stages, the merge's
// summaries and the local stores (Memory, the SQLite state) keep the region in the counter's
// Key: only the DynamoDB items, billed per write, count it inside.
//
// The questions a dashboard asks are each one Query:
//
//   - all activity of account A in hour H: the table, pk = A#A#H (Table.AccountHour);
//   - everything from source IP X in hour H, across accounts: index BySourceIP (ip_pk, ip_sk),
//     ip_pk = IP#X#H (Table.SourceHour; its regions as said above);
//   - every account's summary of hour H (Table.HourSummaries): pk = H#H, the god view's read
//     (below);
//   - the busiest principals of account A over day D: index ByAccountDay (day_pk, count), which
//     holds only the principal totals, one per principal and hour: day_pk = A#D, at most 24 items
//     per principal, summed by Table.BusiestPrincipals (descending by count, so the busiest
//     principal-hours come first for a dashboard that wants only those).
//
// # Merged writes (why: cost)
//
// An hour of an account is delivered in about a dozen files per region, and a busy counter is
// in most of them. Writing each file's counters (one conditional UpdateItem per distinct
// counter per file) wrote a busy counter again with every file: 0.4 writes and 0.96 write
// units per record over an organization hour (BenchmarkWriteUnitsOrgHour: 20 accounts, 4
// regions, 12 files each; item size, markers and the index writes billed as DynamoDB bills
// them). Now a file's activity counts are staged and an account-hour is merged once it has
// settled, so each distinct counter is written about once per hour: 0.13 write units per
// record, 7.5 times fewer (numbers in /work/notes: wcu-before.txt and the closing note).
// Region, event source and cloud joined the Key later (the god view's regions and services).
// A log file is one account and region, but a principal making the same call from the same
// source in several regions within the hour is a counter per region: the benchmark's
// identities act in all four regions alike, its hour's distinct counters went from 39,517 to
// 95,410 (event sources split none) and, with an item per counter, its write units from 0.13
// to 0.24 per record (240,630 WCU per million records; wcu-14-before.txt, wcu-14-after.txt).
// An item now counts its regions inside (Table layout, above): the same hour writes 39,517
// activity counter items again, 128,774 write units per million records (0.13 per record;
// 62,583 writes), against 128,432 before region joined the Key: the per-region counts add a
// few bytes to an item, and the merge's summaries are still exact per region. The hour
// summaries add two puts per account-hour (0.06%).
// SQS batching was not enough (a batch window is at most 5 minutes: about one file per
// account-region-hour), and S3-kept tallies with an absolute SET would have needed a bucket and
// a lock per hour for late files; the counters table holds both the stages and the merge's
// bookkeeping, with the same conditional-marker rule as before.
//
//		stage         pk = S#<account>#<hour>   sk = f#<file marker>#<chunk>   t (B: the counters, flate), n (N: how many)
//		plan          pk = S#<account>#<hour>   sk = p#<seq>                   stages (SS), done (BOOL)
//		pending mark  pk = Q#<arrival hour>     sk = <account>#<hour>          n (N: grows with every stage)
//
//	  - A file (Table.Apply): its rule counters are incremented at once, exactly as before, so a
//	    threshold is seen crossed by the file that crosses it, within the minute; its activity
//	    counts are put as one stage item per account-hour (a conditional put: a redelivered file
//	    writes nothing), and the account-hour is marked pending under the hour the file arrived.
//	  - A merge (Table.Flush, every 5 minutes from the template's schedule) finds the pending
//	    account-hours of the last Lookback arrival hours whose hour ended Settle (15 min) ago.
//	    For each, FlushGroup first finishes any plan not done, then writes a plan naming the
//	    stages no plan took yet (a conditional put of p#<seq+1>: two concurrent merges cannot both
//	    plan), and applies their sum with the plan's marker as one conditional increment per
//	    distinct counter and principal-hour, then marks the plan done. A merge that fails
//	    half-way leaves its plan not done; the next applies the same stages under the same marker
//	    and so writes only the items the first did not. The pending mark is deleted only if no
//	    file staged since the merge looked (n unchanged).
//	  - A late file (records of an hour already merged, or a file delivered hours late) stages
//	    and marks its account-hour pending like any other; the next merge plans just its stage
//	    and adds it. Nothing is ever recomputed, so nothing is double counted or lost.
//	  - The god view's three queries are unchanged (same items, same indexes): each one Query.
//	    They show an hour once merged: up to Settle plus 5 minutes after the hour ends; the rule
//	    counters and their alerts are not delayed.
//	  - A merge's memory is bounded: it reads the stages of its plan one at a time, and a plan
//	    takes stages up to Budget distinct counters (default 100,000); a bigger account-hour is
//	    merged in several plans.
//
// # Hour summaries (why: the god view's read cost)
//
// A dashboard refresh over a day compares it with the week before: 8 days × 24 hours of every
// account. Read as counters (one Query per account-hour, every counter item), that is 3,840
// Queries for 20 accounts, each the size of the account-hour's counters, and each of the
// dashboard's 9 widgets read it again. So each merge also writes its account-hour's Summary, two
// small items in the hour's partition: the totals item (count, errors, access denied, the regions'
// counts and the distinct principals and sources as hash sets: HashSet, at most MaxHashes
// each) and the detail item (the SummaryTop busiest principals with their sources, sources with
// their principals, event names, services, error codes and access denied by principal), both
// flate-compressed JSON in s. The god view reads one Query per hour across accounts: the detail
// for the hours it shows, the totals alone (begins_with t#) for the hours it compares against.
// BenchmarkReadUnitsDashboard bills a refresh of the dashboard over a day of 20 accounts in
// 4 regions: at 580 counters per account-hour, 1,635,192 read units before (34,560 Queries)
// and 612 now (192 Queries; 5,508 if each widget read on its own); at 1,388 counters,
// 3,933,144 and 634. The summary items average 1.6-1.7 KB.
//
//   - Written once per plan, after the plan's counter writes and before the plan is marked done,
//     as a put conditional on the item holding no later plan's summary (plan <= this one). The
//     first plan's summary is its merged tally's; a later plan's (a late file, a merge cut by the
//     budget) is read back from the account-hour's counters (one strongly consistent Query) and
//     so includes every plan before it: a late file's merge replaces the summary with an exact
//     one, a merge finishing an older plan late cannot overwrite a newer summary, and a retried
//     merge rewrites the same content. Nothing is added twice.
//   - Bounded: lists of SummaryTop entries, sets of MaxHashes hashes (a bigger set keeps its
//     smallest hashes and its size: unions are then estimated, k minimum values, within a few
//     percent). Summed over hours, a list entry is exact when it is in the top of every hour it
//     appears in (always, when an hour has at most SummaryTop distinct values); a source not
//     kept by a saturated set may be shown as new.
//   - Hours merged before summaries were written have none: the god view reads the hours of
//     its window before the first summarized one from their counters (godview.Tables), so the
//     week after the upgrade costs what it did before, and no more after it.
//
// # Memory ceiling
//
// A file's tally grows with its distinct counters. The aggregator applies it in numbered parts
// (FileID.Part, each exactly once, its own marker) whenever it reaches MaxCounters, so any file
// completes within a fixed budget. The parts of a file are the same on every delivery as long
// as the budget is not changed between a failure and its retry (the cut depends on the records
// and the budget only). BenchmarkCounterHeap measures 197 bytes of live heap per distinct
// counter once counted and 202 at the peak of staging (realistic keys: ARNs, IPv4/IPv6
// sources; before the tally kept its keys in chunks and 16-byte slots, 249 and 252); growing
// the table adds half of its slots for a moment, and Go's collector lets the heap reach twice
// the live data (GOGC=100): about 450 bytes per counter of function memory. With about 40 MB
// for the runtime, the SDK, the gzip and record buffers and the rule pack, a 128 MB function
// holds about 190,000 counters and a 512 MB function about a million; the defaults stay at
// 150,000 (MaxCounters) and the 800,000 the aggregator's configuration suggests for 512 MB,
// a quarter of headroom. The largest file either takes is then bounded by time, not memory:
// at the 900 s timeout and a 128 MB function's 7 % of a vCPU, about 200,000 × 0.07 × 900 ≈ 12
// million records with the detection rules on (the one-core rate BenchmarkPythonBaseline
// measures, over 200,000 records a second), and four times that at 512 MB.
//
// # Exactly once
//
// A file is identified by bucket, key and ETag (FileID, with its part); its marker is an
// attribute name derived from them, as a merge's marker is from its plan. Each counter write
// (a file's rule counters, a merge's counters) is one UpdateItem:
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

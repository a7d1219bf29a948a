// Package keylayout derives partition values from the S3 keys of delivered audit log files,
// so each file can be registered in its table's partition at once, and walks a bucket's
// prefixes to find the partitions of files already delivered (backfill).
//
// The default layout is CloudTrail's:
//
//	[prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/<file>
//
// giving the columns account, region, year, month, day. Other layouts (other clouds' audit
// services, hourly deliveries) are written with named placeholders, one '/'-separated
// segment at a time:
//
//	cloudaudit/{account}/{yyyy}{MM}{dd}{HH}/…     columns account, dt (dt=YYYYMMDDHH)
//	logs/{account}/{region}/year={yyyy}/month={MM}/day={dd}/*
//
// A segment is literal text, '*' (any one segment), '…' or "..." (one or more segments: the
// rest of the key, last only), or placeholders filling the whole segment, optionally after a
// Hive-style "name=". Placeholders: {account}, {region}, {org}, and the fixed-width {yyyy},
// {MM}, {dd}, {HH}. A segment of one placeholder gives a column named after it (account,
// region, org, year, month, day, hour); a segment of several date placeholders gives "dt";
// "name=" names the column. The partition's directory ends after its last placeholder
// segment, so '*' and '…' may only follow the last placeholder.
package keylayout

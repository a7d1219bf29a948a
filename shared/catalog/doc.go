// Package catalog registers partitions of audit-log tables in the AWS Glue Data Catalog,
// once: a DynamoDB ledger and an in-memory cache remember what is registered, so a new
// partition costs one Glue call however many log files land in it, and a redelivered event
// costs none.
package catalog

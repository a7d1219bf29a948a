// Package logfile reads delivered audit log files as streams: gunzip, then one record at a
// time, so a function handles a file of any size in the memory of one record. It frames and
// validates records without decoding them; each consumer decodes only the fields it needs.
// A malformed record is reported (and skipped) without ending the read, as Hive's
// ignore.malformed.json did; a file that is not a log, or ends early, is an error.
package logfile

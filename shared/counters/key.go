package counters

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Key is one counter's dimensions: the hour of eventTime (UTC, "2006-01-02T15") and the
// columns of the hourly "group by" audit query. Region, EventSource and Cloud came last (the
// god view's regions and services, other clouds' records). An event name has about one event
// source, so EventSource splits almost no counter; Region splits the calls a principal makes
// in several regions (a sweep of every region), so the DynamoDB table keeps such counters in
// one item that counts each region (see the package's Table layout) and reads them back apart.
// Every field has a json tag: the local SQL store derives its columns from them.
type Key struct {
	Hour         string `json:"hour"`
	Account      string `json:"account"`
	Principal    string `json:"principal"`
	SourceIP     string `json:"source_ip"`
	EventName    string `json:"event_name"`
	ResourceType string `json:"resource_type"`
	ErrorCode    string `json:"error_code"`
	EventType    string `json:"event_type"`
	Region       string `json:"region"`       // awsRegion
	EventSource  string `json:"event_source"` // eventSource: the service ("s3.amazonaws.com")
	Cloud        string `json:"cloud"`        // the record's cloud; empty means AWS (CloudTrail writes none)
}

// keyFields is the number of a Key's values.
const keyFields = 11

func (k *Key) values() [keyFields]string {
	return [...]string{k.Hour, k.Account, k.Principal, k.SourceIP, k.EventName, k.ResourceType, k.ErrorCode, k.EventType,
		k.Region, k.EventSource, k.Cloud}
}

// fields points at k's values, in the order of values.
func (k *Key) fields() [keyFields]*string {
	return [...]*string{&k.Hour, &k.Account, &k.Principal, &k.SourceIP, &k.EventName, &k.ResourceType, &k.ErrorCode, &k.EventType,
		&k.Region, &k.EventSource, &k.Cloud}
}

// Row is one counter and its count, as local mode prints it and as the queries return it.
type Row struct {
	Key
	Count int64 `json:"count"`
}

// HourLayout formats a counter's hour.
const HourLayout = "2006-01-02T15"

// FileID identifies one delivered log file's content. A file delivered twice, or retried,
// has one FileID, so its counts are applied once.
type FileID struct {
	Bucket, Key, ETag string
	// Part numbers the partial tallies of a file whose distinct counters exceed the
	// aggregator's memory budget (0: the whole file, or its first part). A file is cut into
	// the same parts on every delivery (the cut depends only on its records and the budget),
	// so each part is applied once.
	Part int
}

// Marker is the attribute name a file leaves on every counter item it incremented: its
// presence is the "already counted" test, its value the count before the file's increment.
// A hash keeps it short (the names of all files that touched an item are stored on it).
func (f FileID) Marker() string {
	id := f.Bucket + "\x00" + f.Key + "\x00" + strings.Trim(f.ETag, `"`)
	if f.Part > 0 {
		id += "\x00" + strconv.Itoa(f.Part)
	}
	h := sha256.Sum256([]byte(id))
	return "f_" + base64.RawURLEncoding.EncodeToString(h[:15])
}

// esc makes a value safe as one '#'-separated part of a key: '%' and '#' are
// percent-encoded, and the empty value (key attributes may not be empty) becomes "-".
// Distinct values give distinct parts.
func esc(v string) string {
	switch v {
	case "":
		return "-"
	case "-":
		return "%2D"
	}
	if !strings.ContainsAny(v, "%#") {
		return v
	}
	return strings.NewReplacer("%", "%25", "#", "%23").Replace(v)
}

// joinKey joins escaped parts with '#', keeping the result within max bytes (DynamoDB
// limits a sort key to 1,024 bytes and a partition key to 2,048): a longer key keeps a prefix
// and ends in a hash of the whole, so it stays unique.
func joinKey(max int, parts ...string) string {
	for i, p := range parts {
		parts[i] = esc(p)
	}
	k := strings.Join(parts, "#")
	if len(k) <= max {
		return k
	}
	h := sha256.Sum256([]byte(k))
	suffix := "#~" + hex.EncodeToString(h[:16])
	cut := max - len(suffix)
	for cut > 0 && k[cut]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return k[:cut] + suffix
}

const (
	maxPK = 2048
	maxSK = 1024
)

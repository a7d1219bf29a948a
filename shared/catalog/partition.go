package catalog

import "strings"

// Table names a Glue table.
type Table struct {
	Database string
	Name     string
}

func (t Table) String() string { return t.Database + "." + t.Name }

// Partition is one partition of a table: its values in the order of the table's partition
// keys, the S3 directory that holds its files, and its Hive name.
type Partition struct {
	Name     string   // Hive-style, "account=111122223333/region=us-east-1/year=2024/month=05/day=14"
	Values   []string // in the order of the table's partition keys
	Location string   // s3://bucket/prefix/…/, ending in '/'
}

// NewPartition builds the partition of values (named by columns) stored at location.
func NewPartition(columns, values []string, location string) Partition {
	var b strings.Builder
	for i, c := range columns {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(c)
		b.WriteByte('=')
		b.WriteString(values[i])
	}
	return Partition{Name: b.String(), Values: values, Location: location}
}

// Status is what became of a partition asked for.
type Status int

// The statuses, from cheapest to most expensive to learn.
const (
	Failed   Status = iota // not registered: Err says why; the caller must retry
	Cached                 // known registered in this container
	InLedger               // found in the ledger: registered earlier
	Created                // created in Glue now
	Existed                // Glue had it already (another writer); now in the ledger
)

func (s Status) String() string {
	switch s {
	case Cached:
		return "cached"
	case InLedger:
		return "in-ledger"
	case Created:
		return "created"
	case Existed:
		return "already-existed"
	}
	return "failed"
}

// Outcome is the result for one partition.
type Outcome struct {
	Status Status
	Err    error // set when Status is Failed
}

package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/glue"

	"github.com/trailguard/trailguard/shared/awsfake"
)

var (
	testTable   = Table{Database: "trailguard", Name: "cloudtrail"}
	testColumns = []string{"account", "region", "year", "month", "day"}
)

// cloudTrailTable is the table as template.yaml defines it, reduced to what the registrar
// reads: partition keys and the storage descriptor.
func cloudTrailTable(keys ...string) awsfake.GlueTable {
	var pk []awsfake.GlueColumn
	for _, k := range keys {
		pk = append(pk, awsfake.GlueColumn{Name: k, Type: "string"})
	}
	return awsfake.GlueTable{
		DatabaseName:  testTable.Database,
		Name:          testTable.Name,
		PartitionKeys: pk,
		StorageDescriptor: awsfake.GlueStorageDescriptor{
			Columns:      []awsfake.GlueColumn{{Name: "eventversion", Type: "string"}, {Name: "eventtime", Type: "string"}},
			Location:     "s3://trail-bucket/AWSLogs/",
			InputFormat:  "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
			OutputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
			SerdeInfo:    &awsfake.GlueSerDe{SerializationLibrary: "com.amazon.emr.hive.serde.CloudTrailSerde"},
		},
	}
}

func newRegistrar(t *testing.T, optFns ...func(*glue.Options)) (*awsfake.Glue, *Registrar) {
	t.Helper()
	fake := awsfake.NewGlue(t)
	fake.AddTable(cloudTrailTable(testColumns...))
	client := glue.NewFromConfig(awsfake.Config(fake.URL()), optFns...)
	return fake, &Registrar{Glue: client, Table: testTable, Columns: testColumns}
}

func day(account, region string, d int) Partition {
	values := []string{account, region, "2024", "05", fmt.Sprintf("%02d", d)}
	return NewPartition(testColumns, values, fmt.Sprintf("s3://trail-bucket/AWSLogs/%s/CloudTrail/%s/2024/05/%02d/", account, region, d))
}

func statuses(out []Outcome) []string {
	var s []string
	for _, o := range out {
		s = append(s, o.Status.String())
	}
	return s
}

func TestRegistrarCreate(t *testing.T) {
	fake, r := newRegistrar(t)
	fake.AddPartition("trailguard", "cloudtrail", awsfake.GluePartition{Values: day("111122223333", "us-east-1", 1).Values})
	fake.FailPartition(day("111122223333", "us-east-1", 3).Values, "ResourceNumberLimitExceededException", 1)
	parts := []Partition{day("111122223333", "us-east-1", 1), day("111122223333", "us-east-1", 2), day("111122223333", "us-east-1", 3)}
	out := r.Create(t.Context(), parts)
	if got := statuses(out); !slices.Equal(got, []string{"already-existed", "created", "failed"}) {
		t.Fatalf("statuses %q", got)
	}
	if out[2].Err == nil || !strings.Contains(out[2].Err.Error(), "ResourceNumberLimitExceededException") || !strings.Contains(out[2].Err.Error(), "day=03") {
		t.Errorf("failure %v, want the error code and the partition named", out[2].Err)
	}
	created := fake.Partitions("trailguard", "cloudtrail")[1]
	sd := created.StorageDescriptor
	if sd.Location != parts[1].Location {
		t.Errorf("location %q, want the partition's own %q", sd.Location, parts[1].Location)
	}
	if sd.InputFormat != "com.amazon.emr.cloudtrail.CloudTrailInputFormat" || sd.SerdeInfo == nil ||
		sd.SerdeInfo.SerializationLibrary != "com.amazon.emr.hive.serde.CloudTrailSerde" || len(sd.Columns) != 2 {
		t.Errorf("storage descriptor %+v, want the table's", sd)
	}
	// Retried, the failed one is created; the table was read once.
	if out := r.Create(t.Context(), parts[2:]); out[0].Status != Created {
		t.Errorf("retry: %+v", out[0])
	}
	if n := fake.Requests("GetTable"); n != 1 {
		t.Errorf("GetTable called %d times, want once per registrar", n)
	}
}

func TestRegistrarChunks(t *testing.T) {
	fake, r := newRegistrar(t)
	var parts []Partition
	for a := range 10 {
		for d := 1; d <= 25; d++ {
			parts = append(parts, day(fmt.Sprintf("1111222233%02d", a), "eu-west-1", d))
		}
	}
	out := r.Create(t.Context(), parts)
	for i, o := range out {
		if o.Status != Created {
			t.Fatalf("partition %d: %+v", i, o)
		}
	}
	if got := fake.BatchSizes(); !slices.Equal(got, []int{100, 100, 50}) {
		t.Errorf("batch sizes %v, want [100 100 50]", got)
	}
	if n := len(fake.Partitions("trailguard", "cloudtrail")); n != 250 {
		t.Errorf("%d partitions created, want 250", n)
	}
}

func TestRegistrarFailures(t *testing.T) {
	t.Run("table missing: everything fails, the next call reads again", func(t *testing.T) {
		fake := awsfake.NewGlue(t)
		r := &Registrar{Glue: glue.NewFromConfig(awsfake.Config(fake.URL())), Table: testTable, Columns: testColumns}
		out := r.Create(t.Context(), []Partition{day("111122223333", "us-east-1", 1), day("111122223333", "us-east-1", 2)})
		for _, o := range out {
			if o.Status != Failed || !strings.Contains(o.Err.Error(), "EntityNotFoundException") {
				t.Errorf("outcome %+v, want EntityNotFoundException", o)
			}
		}
		fake.AddTable(cloudTrailTable(testColumns...))
		if out := r.Create(t.Context(), []Partition{day("111122223333", "us-east-1", 1)}); out[0].Status != Created {
			t.Errorf("after the table appeared: %+v", out[0])
		}
	})
	t.Run("partition keys differ from the layout", func(t *testing.T) {
		fake := awsfake.NewGlue(t)
		fake.AddTable(cloudTrailTable("account", "dt"))
		r := &Registrar{Glue: glue.NewFromConfig(awsfake.Config(fake.URL())), Table: testTable, Columns: testColumns}
		out := r.Create(t.Context(), []Partition{day("111122223333", "us-east-1", 1)})
		if !errors.Is(out[0].Err, ErrTableMismatch) || !strings.Contains(out[0].Err.Error(), `["account" "dt"]`) {
			t.Errorf("outcome %+v, want ErrTableMismatch naming the keys", out[0])
		}
		if fake.Requests("BatchCreatePartition") != 0 {
			t.Error("created partitions in a mismatched table")
		}
	})
	t.Run("throttled past the retries: the chunk fails", func(t *testing.T) {
		fake, r := newRegistrar(t, func(o *glue.Options) { o.RetryMaxAttempts = 2 })
		r.Create(t.Context(), []Partition{day("111122223333", "us-east-1", 9)}) // reads the table
		fake.FailNext(2, awsfake.Throttling)
		out := r.Create(t.Context(), []Partition{day("111122223333", "us-east-1", 1), day("111122223333", "us-east-1", 2)})
		for _, o := range out {
			if o.Status != Failed || !strings.Contains(o.Err.Error(), "ThrottlingException") {
				t.Errorf("outcome %+v, want ThrottlingException", o)
			}
		}
		if out := r.Create(t.Context(), []Partition{day("111122223333", "us-east-1", 1)}); out[0].Status != Created {
			t.Errorf("after the throttling: %+v", out[0])
		}
	})
	t.Run("one 5xx is retried by the SDK", func(t *testing.T) {
		fake, r := newRegistrar(t)
		fake.FailNext(1, awsfake.InternalError)
		if out := r.Create(t.Context(), []Partition{day("111122223333", "us-east-1", 1)}); out[0].Status != Created {
			t.Errorf("outcome %+v", out[0])
		}
	})
}

package awsfake

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
)

func newGlueClient(t *testing.T, optFns ...func(*glue.Options)) (*Glue, *glue.Client) {
	t.Helper()
	fake := NewGlue(t)
	fake.AddTable(GlueTable{
		DatabaseName:  "trailguard",
		Name:          "cloudtrail",
		PartitionKeys: []GlueColumn{{Name: "account", Type: "string"}, {Name: "day", Type: "string"}},
		StorageDescriptor: GlueStorageDescriptor{
			Columns:      []GlueColumn{{Name: "eventversion", Type: "string"}, {Name: "useridentity", Type: "struct<type:string>"}},
			Location:     "s3://trail-bucket/AWSLogs/",
			InputFormat:  "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
			OutputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
			SerdeInfo:    &GlueSerDe{SerializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe"},
		},
		Parameters: map[string]string{"classification": "cloudtrail"},
	})
	return fake, glue.NewFromConfig(Config(fake.URL()), optFns...)
}

func glueNoRetries(o *glue.Options) { o.RetryMaxAttempts = 1 }

func partitionIn(loc string, values ...string) types.PartitionInput {
	return types.PartitionInput{Values: values, StorageDescriptor: &types.StorageDescriptor{Location: aws.String(loc)}}
}

func TestGlueGetTableIsDecoded(t *testing.T) {
	fake, client := newGlueClient(t)
	out, err := client.GetTable(t.Context(), &glue.GetTableInput{DatabaseName: aws.String("trailguard"), Name: aws.String("cloudtrail")})
	if err != nil {
		t.Fatal(err)
	}
	tb := out.Table
	if aws.ToString(tb.Name) != "cloudtrail" || aws.ToString(tb.DatabaseName) != "trailguard" || aws.ToString(tb.TableType) != "EXTERNAL_TABLE" {
		t.Errorf("table %+v", tb)
	}
	if len(tb.PartitionKeys) != 2 || aws.ToString(tb.PartitionKeys[1].Name) != "day" {
		t.Errorf("partition keys %+v", tb.PartitionKeys)
	}
	sd := tb.StorageDescriptor
	if sd == nil || aws.ToString(sd.InputFormat) != "com.amazon.emr.cloudtrail.CloudTrailInputFormat" ||
		aws.ToString(sd.SerdeInfo.SerializationLibrary) != "org.apache.hive.hcatalog.data.JsonSerDe" || len(sd.Columns) != 2 {
		t.Errorf("storage descriptor %+v", sd)
	}
	if tb.CreateTime == nil || tb.CreateTime.IsZero() {
		t.Errorf("CreateTime %v: the epoch-seconds timestamp did not decode", tb.CreateTime)
	}
	if fake.Requests("GetTable") != 1 {
		t.Errorf("GetTable requests %d", fake.Requests("GetTable"))
	}
}

func TestGlueNotFound(t *testing.T) {
	_, client := newGlueClient(t, glueNoRetries)
	_, err := client.GetTable(t.Context(), &glue.GetTableInput{DatabaseName: aws.String("trailguard"), Name: aws.String("nope")})
	var nf *types.EntityNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "Table nope not found") {
		t.Errorf("error %v, want EntityNotFoundException for the table", err)
	}
	_, err = client.BatchCreatePartition(t.Context(), &glue.BatchCreatePartitionInput{
		DatabaseName: aws.String("nodb"), TableName: aws.String("cloudtrail"),
		PartitionInputList: []types.PartitionInput{partitionIn("s3://b/x/", "1", "2")},
	})
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "Database nodb not found") {
		t.Errorf("error %v, want EntityNotFoundException for the database", err)
	}
}

func TestGlueBatchCreatePartition(t *testing.T) {
	fake, client := newGlueClient(t)
	fake.AddPartition("trailguard", "cloudtrail", GluePartition{Values: []string{"111122223333", "13"}})
	fake.FailPartition([]string{"111122223333", "15"}, "InternalServiceException", 1)
	in := &glue.BatchCreatePartitionInput{
		DatabaseName: aws.String("trailguard"), TableName: aws.String("cloudtrail"),
		PartitionInputList: []types.PartitionInput{
			partitionIn("s3://b/111122223333/13/", "111122223333", "13"),
			partitionIn("s3://b/111122223333/14/", "111122223333", "14"),
			partitionIn("s3://b/111122223333/15/", "111122223333", "15"),
			partitionIn("s3://b/bad/", "only-one-value"),
		},
	}
	out, err := client.BatchCreatePartition(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range out.Errors {
		got = append(got, strings.Join(e.PartitionValues, "/")+" "+aws.ToString(e.ErrorDetail.ErrorCode))
	}
	want := []string{"111122223333/13 AlreadyExistsException", "111122223333/15 InternalServiceException", "only-one-value InvalidInputException"}
	if !slices.Equal(got, want) {
		t.Errorf("Errors %q, want %q", got, want)
	}
	parts := fake.Partitions("trailguard", "cloudtrail")
	if len(parts) != 2 || parts[1].StorageDescriptor.Location != "s3://b/111122223333/14/" {
		t.Errorf("partitions %+v, want the pre-existing one and 14 with its location", parts)
	}
	// The injected failure was used up: sent again, 15 is created and 13, 14 already exist.
	out, err = client.BatchCreatePartition(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) != 3 || len(fake.Partitions("trailguard", "cloudtrail")) != 3 {
		t.Errorf("second call: %d errors, %d partitions; want 3 (13, 14 exist; bad) and 3", len(out.Errors), len(fake.Partitions("trailguard", "cloudtrail")))
	}
	if !slices.Equal(fake.BatchSizes(), []int{4, 4}) {
		t.Errorf("BatchSizes %v", fake.BatchSizes())
	}
}

func TestGlueBatchLimit(t *testing.T) {
	fake, client := newGlueClient(t, glueNoRetries)
	var list []types.PartitionInput
	for i := range 101 {
		list = append(list, partitionIn("s3://b/", "a", fmt.Sprint(i)))
	}
	_, err := client.BatchCreatePartition(t.Context(), &glue.BatchCreatePartitionInput{
		DatabaseName: aws.String("trailguard"), TableName: aws.String("cloudtrail"), PartitionInputList: list,
	})
	assertAPIError(t, err, "ValidationException", "length between 1 and 100")
	if len(fake.Partitions("trailguard", "cloudtrail")) != 0 {
		t.Error("a rejected batch created partitions")
	}
	_, err = client.BatchCreatePartition(t.Context(), &glue.BatchCreatePartitionInput{
		DatabaseName: aws.String("trailguard"), TableName: aws.String("cloudtrail"), PartitionInputList: list[:100],
	})
	if err != nil || len(fake.Partitions("trailguard", "cloudtrail")) != 100 {
		t.Errorf("100 partitions: %v, %d created", err, len(fake.Partitions("trailguard", "cloudtrail")))
	}
}

func TestGlueInjectedFailuresAsTheSDKSeesThem(t *testing.T) {
	tests := []struct {
		kind     Failure
		code     string
		status   int
		throttle bool
	}{
		{Throttling, "ThrottlingException", http.StatusBadRequest, true},
		{InternalError, "InternalServiceException", http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			fake, client := newGlueClient(t, glueNoRetries)
			fake.FailNext(1, tt.kind)
			_, err := client.GetTable(t.Context(), &glue.GetTableInput{DatabaseName: aws.String("trailguard"), Name: aws.String("cloudtrail")})
			assertInjectedFailure(t, err, tt.code, tt.status, tt.throttle)
			if _, err := client.GetTable(t.Context(), &glue.GetTableInput{DatabaseName: aws.String("trailguard"), Name: aws.String("cloudtrail")}); err != nil {
				t.Errorf("GetTable after the injected failure: %v", err)
			}
		})
	}
	t.Run("retried by the default retryer", func(t *testing.T) {
		fake, client := newGlueClient(t)
		fake.FailNext(1, Throttling)
		fake.FailNext(1, InternalError)
		_, err := client.BatchCreatePartition(t.Context(), &glue.BatchCreatePartitionInput{
			DatabaseName: aws.String("trailguard"), TableName: aws.String("cloudtrail"),
			PartitionInputList: []types.PartitionInput{partitionIn("s3://b/", "a", "1")},
		})
		if err != nil || fake.Requests("BatchCreatePartition") != 3 || len(fake.Partitions("trailguard", "cloudtrail")) != 1 {
			t.Errorf("err %v after %d requests, %d partitions; want success on the third request", err, fake.Requests("BatchCreatePartition"), len(fake.Partitions("trailguard", "cloudtrail")))
		}
	})
}

func TestGlueRequestChecks(t *testing.T) {
	fake, _ := newGlueClient(t)
	tests := []struct {
		name, target, contentType, auth, body string
		code                                  string
	}{
		{"unsigned", "AWSGlue.GetTable", "application/x-amz-json-1.1", "", `{}`, "MissingAuthenticationToken"},
		{"signed for another service", "AWSGlue.GetTable", "application/x-amz-json-1.1", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=abc", `{}`, "SignatureDoesNotMatch"},
		{"wrong content type", "AWSGlue.GetTable", "application/json", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/glue/aws4_request, SignedHeaders=host, Signature=abc", `{}`, "SerializationException"},
		{"unknown operation", "AWSGlue.DeleteTable", "application/x-amz-json-1.1", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/glue/aws4_request, SignedHeaders=host, Signature=abc", `{}`, "UnknownOperationException"},
		{"unknown member", "AWSGlue.GetTable", "application/x-amz-json-1.1", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/glue/aws4_request, SignedHeaders=host, Signature=abc", `{"DatabaseName":"trailguard","Name":"cloudtrail","Bogus":1}`, "SerializationException"},
		{"missing name", "AWSGlue.GetTable", "application/x-amz-json-1.1", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/glue/aws4_request, SignedHeaders=host, Signature=abc", `{"DatabaseName":"trailguard"}`, "InvalidInputException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, fake.URL()+"/", strings.NewReader(tt.body))
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", tt.contentType)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tt.code {
				t.Errorf("X-Amzn-ErrorType %q, want %q", got, tt.code)
			}
		})
	}
}

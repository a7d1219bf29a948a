package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
)

// MaxBatchCreate is Glue's limit on BatchCreatePartition's PartitionInputList (AWS Glue
// API reference, BatchCreatePartition: "Maximum number of 100 items").
const MaxBatchCreate = 100

// GlueAPI is the part of the Glue client the registrar uses.
type GlueAPI interface {
	GetTable(ctx context.Context, in *glue.GetTableInput, optFns ...func(*glue.Options)) (*glue.GetTableOutput, error)
	BatchCreatePartition(ctx context.Context, in *glue.BatchCreatePartitionInput, optFns ...func(*glue.Options)) (*glue.BatchCreatePartitionOutput, error)
}

// ErrTableMismatch marks a table whose partition keys are not the key layout's columns: a
// configuration error no retry will cure.
var ErrTableMismatch = errors.New("table does not match the key layout")

// Registrar creates partitions of one Glue table with BatchCreatePartition, each with the
// table's storage descriptor (read once, with GetTable) and its own location.
type Registrar struct {
	Glue    GlueAPI
	Table   Table
	Columns []string // the partition keys the table must have, in order

	mu sync.Mutex
	sd *types.StorageDescriptor
}

// descriptor reads the table once; a failed read is tried again on the next call.
func (r *Registrar) descriptor(ctx context.Context) (*types.StorageDescriptor, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sd != nil {
		return r.sd, nil
	}
	out, err := r.Glue.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String(r.Table.Database), Name: aws.String(r.Table.Name)})
	if err != nil {
		return nil, fmt.Errorf("get table %s: %w", r.Table, err)
	}
	if out.Table == nil || out.Table.StorageDescriptor == nil {
		return nil, fmt.Errorf("get table %s: no storage descriptor", r.Table)
	}
	var keys []string
	for _, k := range out.Table.PartitionKeys {
		keys = append(keys, strings.ToLower(aws.ToString(k.Name)))
	}
	if !slices.Equal(keys, r.Columns) {
		return nil, fmt.Errorf("%w: %s has partition keys %q, KEY_LAYOUT gives %q", ErrTableMismatch, r.Table, keys, r.Columns)
	}
	r.sd = out.Table.StorageDescriptor
	return r.sd, nil
}

// Create creates parts, MaxBatchCreate per call. A partition Glue already has counts as
// Existed, not as a failure; any other error fails only the partitions it concerns.
func (r *Registrar) Create(ctx context.Context, parts []Partition) []Outcome {
	out := make([]Outcome, len(parts))
	sd, err := r.descriptor(ctx)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	for start := 0; start < len(parts); start += MaxBatchCreate {
		chunk := parts[start:min(start+MaxBatchCreate, len(parts))]
		r.createChunk(ctx, sd, chunk, out[start:start+len(chunk)])
	}
	return out
}

func (r *Registrar) createChunk(ctx context.Context, sd *types.StorageDescriptor, parts []Partition, out []Outcome) {
	in := &glue.BatchCreatePartitionInput{
		DatabaseName:       aws.String(r.Table.Database),
		TableName:          aws.String(r.Table.Name),
		PartitionInputList: make([]types.PartitionInput, len(parts)),
	}
	for i, p := range parts {
		psd := *sd
		psd.Location = aws.String(p.Location)
		in.PartitionInputList[i] = types.PartitionInput{Values: p.Values, StorageDescriptor: &psd}
	}
	resp, err := r.Glue.BatchCreatePartition(ctx, in)
	if err != nil {
		for i, p := range parts {
			out[i].Err = fmt.Errorf("create partition %s of %s: %w", p.Name, r.Table, err)
		}
		return
	}
	index := make(map[string]int, len(parts))
	for i, p := range parts {
		index[strings.Join(p.Values, "\x00")] = i
		out[i].Status = Created
	}
	for _, e := range resp.Errors {
		i, ok := index[strings.Join(e.PartitionValues, "\x00")]
		if !ok {
			continue // about no partition we sent: nothing to attribute it to
		}
		code, msg := "", ""
		if e.ErrorDetail != nil {
			code, msg = aws.ToString(e.ErrorDetail.ErrorCode), aws.ToString(e.ErrorDetail.ErrorMessage)
		}
		if code == "AlreadyExistsException" {
			out[i].Status = Existed
			continue
		}
		out[i] = Outcome{Status: Failed, Err: fmt.Errorf("create partition %s of %s: %s: %s", parts[i].Name, r.Table, code, msg)}
	}
}

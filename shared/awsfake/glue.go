package awsfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// glueFailures are Glue's answers to the injected failures.
var glueFailures = map[Failure]apiError{
	Throttling:    {400, "ThrottlingException", "Rate exceeded"},
	InternalError: {500, "InternalServiceException", "An internal service error occurred."},
}

// maxBatchCreatePartitions is BatchCreatePartition's limit on PartitionInputList (AWS Glue
// API reference: "Maximum number of 100 items").
const maxBatchCreatePartitions = 100

// GlueColumn is a column of a table (Glue's Column shape).
type GlueColumn struct {
	Name    string `json:"Name"`
	Type    string `json:"Type,omitempty"`
	Comment string `json:"Comment,omitempty"`
}

// GlueSerDe is Glue's SerDeInfo shape.
type GlueSerDe struct {
	Name                 string            `json:"Name,omitempty"`
	SerializationLibrary string            `json:"SerializationLibrary,omitempty"`
	Parameters           map[string]string `json:"Parameters,omitempty"`
}

// GlueStorageDescriptor is Glue's StorageDescriptor shape (the members trailguard's tables use).
type GlueStorageDescriptor struct {
	Columns                []GlueColumn      `json:"Columns,omitempty"`
	Location               string            `json:"Location,omitempty"`
	InputFormat            string            `json:"InputFormat,omitempty"`
	OutputFormat           string            `json:"OutputFormat,omitempty"`
	Compressed             bool              `json:"Compressed"`
	NumberOfBuckets        int               `json:"NumberOfBuckets"`
	SerdeInfo              *GlueSerDe        `json:"SerdeInfo,omitempty"`
	BucketColumns          []string          `json:"BucketColumns,omitempty"`
	Parameters             map[string]string `json:"Parameters,omitempty"`
	StoredAsSubDirectories bool              `json:"StoredAsSubDirectories"`
}

// GlueTable is a table of the fake catalog.
type GlueTable struct {
	DatabaseName      string
	Name              string
	TableType         string // EXTERNAL_TABLE when empty
	PartitionKeys     []GlueColumn
	StorageDescriptor GlueStorageDescriptor
	Parameters        map[string]string
}

// GluePartition is a partition the fake holds, as BatchCreatePartition sent it.
type GluePartition struct {
	Values            []string
	StorageDescriptor GlueStorageDescriptor
	Parameters        map[string]string
}

// Glue is a fake AWS Glue Data Catalog endpoint (awsJson1_1 protocol: POST / with
// X-Amz-Target AWSGlue.<Operation>) serving GetTable and BatchCreatePartition over the
// tables it was given. It is safe for concurrent use.
type Glue struct {
	server *httptest.Server

	mu         sync.Mutex
	tables     map[string]*glueTable // database + "." + name
	requests   map[string]int        // operation → HTTP requests, failed ones included
	batchSizes []int                 // PartitionInputList length of each BatchCreatePartition served
	fail       failures
	failValues map[string]*partitionFailure // partitionID(values) → failure to report
}

type glueTable struct {
	GlueTable
	created    time.Time
	partitions []GluePartition
	byValues   map[string]bool
}

type partitionFailure struct {
	code  string
	times int
}

// NewGlue starts an empty fake Glue catalog and stops it when the test ends.
func NewGlue(t testing.TB) *Glue {
	t.Helper()
	g := &Glue{tables: map[string]*glueTable{}, requests: map[string]int{}, failValues: map[string]*partitionFailure{},
		fail: failures{service: "Glue", answers: glueFailures}}
	g.server = httptest.NewServer(http.HandlerFunc(g.serveHTTP))
	t.Cleanup(g.server.Close)
	return g
}

// URL is the endpoint to give the client (Config(URL()), or BaseEndpoint).
func (g *Glue) URL() string { return g.server.URL }

// AddTable puts a table (and its database) into the catalog.
func (g *Glue) AddTable(t GlueTable) {
	if t.TableType == "" {
		t.TableType = "EXTERNAL_TABLE"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tables[t.DatabaseName+"."+t.Name] = &glueTable{GlueTable: t, created: time.Now(), byValues: map[string]bool{}}
}

// AddPartition creates a partition directly, as another writer (a crawler, an earlier run)
// would have, so BatchCreatePartition answers AlreadyExistsException for it.
func (g *Glue) AddPartition(database, table string, p GluePartition) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.tables[database+"."+table]
	if t == nil {
		panic(fmt.Sprintf("awsfake: AddPartition to unknown table %s.%s", database, table))
	}
	t.partitions = append(t.partitions, p)
	t.byValues[partitionID(p.Values)] = true
}

// Partitions returns the partitions of a table in the order they were created.
func (g *Glue) Partitions(database, table string) []GluePartition {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.tables[database+"."+table]; t != nil {
		return slices.Clone(t.partitions)
	}
	return nil
}

// Requests counts the HTTP requests for operation ("GetTable", "BatchCreatePartition"),
// failed and retried ones included.
func (g *Glue) Requests(operation string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests[operation]
}

// BatchSizes returns the length of PartitionInputList of each BatchCreatePartition the fake
// served (injected whole-request failures excluded).
func (g *Glue) BatchSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.batchSizes)
}

// FailNext makes the next n requests fail with kind, whatever they are.
func (g *Glue) FailNext(n int, kind Failure) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail.add(n, kind)
}

// FailPartition makes the partition with these values come back in BatchCreatePartition's
// Errors list with errorCode (say "InternalServiceException" or
// "ResourceNumberLimitExceededException") the next times times it is sent, while the
// request's other partitions are created.
func (g *Glue) FailPartition(values []string, errorCode string, times int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failValues[partitionID(values)] = &partitionFailure{code: errorCode, times: times}
}

func partitionID(values []string) string { return strings.Join(values, "\x00") }

func (g *Glue) serveHTTP(w http.ResponseWriter, r *http.Request) {
	op, body, err := readJSON11(r, "glue", "AWSGlue.")
	g.mu.Lock()
	g.requests[op]++
	if err == nil {
		err = g.fail.next()
	}
	g.mu.Unlock()
	if err != nil {
		writeJSONError(w, err)
		return
	}
	switch op {
	case "GetTable":
		g.getTable(w, body)
	case "BatchCreatePartition":
		g.batchCreatePartition(w, body)
	default:
		writeJSONError(w, &apiError{http.StatusBadRequest, "UnknownOperationException", "the Glue fake does not serve " + op})
	}
}

func invalidInput(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidInputException", fmt.Sprintf(format, args...)}
}

type getTableRequest struct {
	CatalogID    string `json:"CatalogId"`
	DatabaseName string `json:"DatabaseName"`
	Name         string `json:"Name"`
}

type wireTable struct {
	Name              string                `json:"Name"`
	DatabaseName      string                `json:"DatabaseName"`
	TableType         string                `json:"TableType"`
	PartitionKeys     []GlueColumn          `json:"PartitionKeys"`
	StorageDescriptor GlueStorageDescriptor `json:"StorageDescriptor"`
	Parameters        map[string]string     `json:"Parameters,omitempty"`
	CreateTime        float64               `json:"CreateTime"` // epoch seconds, as awsJson sends timestamps
	CatalogID         string                `json:"CatalogId"`
}

func (g *Glue) table(database, name string) (*glueTable, *apiError) {
	if database == "" || name == "" {
		return nil, invalidInput("DatabaseName and the table name are required")
	}
	t := g.tables[database+"."+name]
	if t == nil {
		for key := range g.tables {
			if strings.HasPrefix(key, database+".") {
				return nil, &apiError{http.StatusBadRequest, "EntityNotFoundException", fmt.Sprintf("Table %s not found.", name)}
			}
		}
		return nil, &apiError{http.StatusBadRequest, "EntityNotFoundException", fmt.Sprintf("Database %s not found.", database)}
	}
	return t, nil
}

func (g *Glue) getTable(w http.ResponseWriter, body []byte) {
	var req getTableRequest
	if err := decodeStrict(body, &req); err != nil {
		writeJSONError(w, err)
		return
	}
	g.mu.Lock()
	t, err := g.table(req.DatabaseName, req.Name)
	var out wireTable
	if err == nil {
		out = wireTable{
			Name: t.Name, DatabaseName: t.DatabaseName, TableType: t.TableType, PartitionKeys: t.PartitionKeys,
			StorageDescriptor: t.StorageDescriptor, Parameters: t.Parameters,
			CreateTime: float64(t.created.UnixMilli()) / 1000, CatalogID: "111122223333",
		}
	}
	g.mu.Unlock()
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"Table": out}, "")
}

type batchCreatePartitionRequest struct {
	CatalogID          string           `json:"CatalogId"`
	DatabaseName       string           `json:"DatabaseName"`
	TableName          string           `json:"TableName"`
	PartitionInputList []partitionInput `json:"PartitionInputList"`
}

type partitionInput struct {
	Values            []string               `json:"Values"`
	StorageDescriptor *GlueStorageDescriptor `json:"StorageDescriptor"`
	Parameters        map[string]string      `json:"Parameters"`
}

type partitionError struct {
	PartitionValues []string    `json:"PartitionValues"`
	ErrorDetail     errorDetail `json:"ErrorDetail"`
}

type errorDetail struct {
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// batchCreatePartition creates each partition, or reports it in Errors (already there,
// wrong number of values, an injected failure) while creating the others, as Glue does.
func (g *Glue) batchCreatePartition(w http.ResponseWriter, body []byte) {
	var req batchCreatePartitionRequest
	if err := decodeStrict(body, &req); err != nil {
		writeJSONError(w, err)
		return
	}
	if n := len(req.PartitionInputList); n == 0 || n > maxBatchCreatePartitions {
		writeJSONError(w, &apiError{http.StatusBadRequest, "ValidationException",
			fmt.Sprintf("1 validation error detected: Value at 'partitionInputList' failed to satisfy constraint: Member must have length between 1 and %d (got %d)", maxBatchCreatePartitions, n)})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, apiErr := g.table(req.DatabaseName, req.TableName)
	if apiErr != nil {
		writeJSONError(w, apiErr)
		return
	}
	g.batchSizes = append(g.batchSizes, len(req.PartitionInputList))
	var errs []partitionError
	fail := func(values []string, code, msg string) {
		errs = append(errs, partitionError{PartitionValues: values, ErrorDetail: errorDetail{ErrorCode: code, ErrorMessage: msg}})
	}
	for _, in := range req.PartitionInputList {
		id := partitionID(in.Values)
		if f := g.failValues[id]; f != nil && f.times > 0 {
			f.times--
			fail(in.Values, f.code, "injected failure")
			continue
		}
		switch {
		case len(in.Values) != len(t.PartitionKeys):
			fail(in.Values, "InvalidInputException", fmt.Sprintf("The number of partition keys do not match the number of partition values (%d keys, %d values)", len(t.PartitionKeys), len(in.Values)))
		case t.byValues[id]:
			fail(in.Values, "AlreadyExistsException", "Partition already exists.")
		default:
			p := GluePartition{Values: in.Values, Parameters: in.Parameters}
			if in.StorageDescriptor != nil {
				p.StorageDescriptor = *in.StorageDescriptor
			}
			t.partitions = append(t.partitions, p)
			t.byValues[id] = true
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Errors": errs}, "")
}

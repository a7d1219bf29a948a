package testenv

import (
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

var created atomic.Int64

// uniqueName names a resource for one test: a prefix, a hash of the test's
// name, the process ID (go test runs packages as parallel processes against
// the same emulators) and a counter (a test may create several).
func uniqueName(t testing.TB, prefix string) string {
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	return fmt.Sprintf("%s-%08x-%d-%d", prefix, h.Sum32(), os.Getpid(), created.Add(1))
}

// bucketName is uniqueName in the characters S3 allows (lower case, at most
// 63).
func bucketName(t testing.TB) string {
	return strings.ToLower(uniqueName(t, "tg"))
}

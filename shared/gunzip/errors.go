package gunzip

import (
	"compress/gzip"
	"fmt"
	"strconv"
)

var (
	// ErrHeader is compress/gzip's ErrHeader, so that callers can switch
	// between the two readers without changing their error checks.
	ErrHeader = gzip.ErrHeader
	// ErrChecksum is compress/gzip's ErrChecksum: the CRC-32 or length in a
	// member's trailer does not match the decompressed data.
	ErrChecksum = gzip.ErrChecksum

	// errReservedFlags rejects headers with reserved FLG bits, as RFC 1952
	// requires; compress/gzip ignores them, which is the one place where
	// this reader is stricter.
	errReservedFlags = fmt.Errorf("%w: reserved flag bits set", ErrHeader)
)

// CorruptInputError reports invalid DEFLATE data at the given offset of the
// gzip stream, like compress/flate's error of the same name.
type CorruptInputError int64

func (e CorruptInputError) Error() string {
	return "gunzip: corrupt input before offset " + strconv.FormatInt(int64(e), 10)
}

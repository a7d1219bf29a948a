// Package gunzip is a streaming gzip (RFC 1952) and DEFLATE (RFC 1951)
// decompressor tuned for reading large CloudTrail log files.
//
// It exists because gunzipping CloudTrail JSON was about half of the CPU of
// the aggregation pipeline. The decoder follows the design of libdeflate: a
// 64-bit bit buffer refilled eight bytes at a time, single-lookup Huffman
// tables whose entries carry a literal, a length or distance base with its
// extra-bit count, or a subtable pointer, and output decoded straight into a
// buffer that doubles as the 32 KiB history window, with word-at-a-time match
// copies. On our JSON logs that is markedly faster than
// github.com/klauspost/compress/gzip (see bench_test.go).
//
// The Reader behaves like compress/gzip's: concatenated members are read one
// after another, truncated input is io.ErrUnexpectedEOF, and the errors are
// compress/gzip's ErrHeader and ErrChecksum. It is checked against the
// standard library by differential tests and by fuzzing, and every member's
// CRC-32 and length are verified, so a decoder bug cannot silently change
// the data. Memory is bounded: the window and fixed-size input and output
// buffers, whatever the size of the stream.
package gunzip

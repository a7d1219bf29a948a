package gunzip

import (
	"hash/crc32"
	"io"
)

const (
	windowSize = 32 << 10
	// outChunk is how much output one decoding pass produces before the
	// caller must drain it and the window slides.
	outChunk = 224 << 10
	// winSlack lets the careful decoder finish a 258-byte match past the
	// limit, and the fast decoder write whole words past a match's end.
	winSlack = 512
)

// Reader decompresses a gzip stream. It reads all concatenated members,
// like compress/gzip's Reader, and verifies each member's trailer.
type Reader struct {
	src    io.Reader
	srcErr error // the source's first error; io.EOF at its end

	in     []byte // input buffer: in[ip:iend] is unread
	ip     int
	iend   int
	inBase int64 // input offset of in[0]

	bb uint64 // bit buffer, least significant bit first
	bc uint   // number of valid bits in bb

	// win holds up to windowSize bytes of history followed by output:
	// win[r:o] is decoded but not yet returned, decoding stops at limit,
	// and win[histStart:o] is the current member's data (matches may not
	// reach before it).
	win       []byte
	r         int
	o         int
	limit     int
	histStart int

	state     int
	final     bool // the current block is the member's last
	stored    int  // bytes left in the current stored block
	fixed     bool // the tables hold the fixed Huffman code
	digest    uint32
	size      uint32
	err       error
	litTable  [litTableSize]uint32
	distTable [distTableSize]uint32
}

// NewReader reads the gzip header from r and returns a reader of the
// decompressed stream. An empty r is io.EOF, as with compress/gzip.
func NewReader(r io.Reader) (*Reader, error) {
	z := &Reader{
		src:   r,
		in:    make([]byte, inBufSize),
		win:   make([]byte, windowSize+outChunk+winSlack),
		limit: windowSize + outChunk,
	}
	if err := z.readHeader(); err != nil {
		return nil, err
	}
	return z, nil
}

// Read implements io.Reader: it returns the decompressed data of every
// member in turn, then io.EOF, or the first error once the data decoded
// before it has been returned.
func (z *Reader) Read(p []byte) (int, error) {
	for z.r == z.o {
		if z.err != nil {
			return 0, z.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		z.err = z.produce()
	}
	n := copy(p, z.win[z.r:z.o])
	z.r += n
	return n, nil
}

// WriteTo implements io.WriterTo, which lets io.Copy skip a copy of the
// decompressed data.
func (z *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if z.r < z.o {
			n, err := w.Write(z.win[z.r:z.o])
			z.r += n
			total += int64(n)
			if err != nil {
				return total, err
			}
		}
		if z.err != nil {
			if z.err == io.EOF {
				return total, nil
			}
			return total, z.err
		}
		z.err = z.produce()
	}
}

// startMember resets the per-member state after a header.
func (z *Reader) startMember() {
	z.state = stateBlockHeader
	z.final = false
	z.digest = 0
	z.size = 0
	z.histStart = z.o
}

// produce decodes the next stretch of output into win, sliding the window
// first if the output area is full. At the end of a member it checks the
// trailer and reads the next member's header; io.EOF means no more members.
func (z *Reader) produce() error {
	if z.o >= z.limit {
		z.slide()
	}
	start := z.o
	done, err := z.inflate()
	z.digest = crc32.Update(z.digest, crc32.IEEETable, z.win[start:z.o])
	z.size += uint32(z.o - start)
	if err != nil || !done {
		return err
	}
	if err := z.readTrailer(); err != nil {
		return err
	}
	return z.readHeader()
}

// slide moves the last windowSize bytes of output to the front of win.
// All output must have been returned.
func (z *Reader) slide() {
	shift := z.o - windowSize
	copy(z.win, z.win[shift:z.o])
	z.o = windowSize
	z.r = windowSize
	z.histStart = max(z.histStart-shift, 0)
}

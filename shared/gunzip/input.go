package gunzip

import "io"

const (
	inBufSize = 128 << 10
	// lookBehind input bytes are kept when the buffer is compacted, so that
	// whole bytes already loaded into the bit buffer can be given back at a
	// byte boundary (stored blocks, trailers).
	lookBehind = 8
	// maxEmptyReads bounds how often the source may answer 0, nil in a row.
	maxEmptyReads = 100
)

// fill compacts the input buffer and reads once from the source. It returns
// the source's error only when no new byte arrived; a source error is kept
// and returned once the buffered bytes are used up.
func (z *Reader) fill() error {
	if z.srcErr != nil {
		return z.srcErr
	}
	if keep := z.ip - lookBehind; keep > 0 {
		z.iend = copy(z.in, z.in[keep:z.iend])
		z.ip -= keep
		z.inBase += int64(keep)
	}
	for range maxEmptyReads {
		n, err := z.src.Read(z.in[z.iend:])
		z.iend += n
		if err != nil {
			z.srcErr = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	z.srcErr = io.ErrNoProgress
	return z.srcErr
}

// readByte returns the next input byte when the bit buffer is empty (gzip
// header and trailer, stored block lengths).
func (z *Reader) readByte() (byte, error) {
	if z.ip == z.iend {
		if err := z.fill(); err != nil {
			return 0, err
		}
	}
	b := z.in[z.ip]
	z.ip++
	return b, nil
}

// moreBits adds one input byte to the bit buffer; the DEFLATE data must
// go on, so the end of the input is io.ErrUnexpectedEOF.
func (z *Reader) moreBits() error {
	if z.ip == z.iend {
		if err := z.fill(); err != nil {
			return noEOF(err)
		}
	}
	z.bb |= uint64(z.in[z.ip]) << (z.bc & 63)
	z.ip++
	z.bc += 8
	return nil
}

// needBits makes sure that at least n ≤ 32 bits are buffered.
func (z *Reader) needBits(n uint) error {
	for z.bc < n {
		if err := z.moreBits(); err != nil {
			return err
		}
	}
	return nil
}

// takeBits consumes n buffered bits.
func (z *Reader) takeBits(n uint) uint32 {
	v := uint32(z.bb & (1<<n - 1))
	z.bb >>= n
	z.bc -= n
	return v
}

// alignToByte drops the bits left in the current byte and returns the whole
// bytes still in the bit buffer to the input buffer.
func (z *Reader) alignToByte() {
	z.ip -= int(z.bc >> 3)
	z.bb = 0
	z.bc = 0
}

// offset is the position in the input stream of the next unread byte, for
// error reports.
func (z *Reader) offset() int64 {
	return z.inBase + int64(z.ip) - int64(z.bc>>3)
}

// corrupt reports invalid DEFLATE data at the current input position.
func (z *Reader) corrupt() error {
	return CorruptInputError(z.offset())
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

package gunzip

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

const (
	gzipID1     = 0x1f
	gzipID2     = 0x8b
	gzipDeflate = 8

	flagHdrCrc   = 1 << 1
	flagExtra    = 1 << 2
	flagName     = 1 << 3
	flagComment  = 1 << 4
	flagReserved = 0xe0

	// maxString is compress/gzip's limit on FNAME and FCOMMENT, NUL
	// included; longer strings are ErrHeader there and here.
	maxString = 512
)

// readHeader reads a member's RFC 1952 header. Before the first byte the
// end of the input is io.EOF: the stream has no more members.
func (z *Reader) readHeader() error {
	var h [10]byte
	for i := range h {
		b, err := z.readByte()
		if err != nil {
			if i > 0 {
				return noEOF(err)
			}
			return err
		}
		h[i] = b
	}
	if h[0] != gzipID1 || h[1] != gzipID2 || h[2] != gzipDeflate {
		return ErrHeader
	}
	flg := h[3]
	if flg&flagReserved != 0 {
		return errReservedFlags
	}
	digest := crc32.ChecksumIEEE(h[:])
	if flg&flagExtra != 0 {
		var xlen [2]byte
		if err := z.readHeaderBytes(xlen[:], &digest); err != nil {
			return err
		}
		if err := z.skipHeaderBytes(int(binary.LittleEndian.Uint16(xlen[:])), &digest); err != nil {
			return err
		}
	}
	if flg&flagName != 0 {
		if err := z.skipString(&digest); err != nil {
			return err
		}
	}
	if flg&flagComment != 0 {
		if err := z.skipString(&digest); err != nil {
			return err
		}
	}
	if flg&flagHdrCrc != 0 {
		var sum [2]byte
		if err := z.readHeaderBytes(sum[:], nil); err != nil {
			return err
		}
		if binary.LittleEndian.Uint16(sum[:]) != uint16(digest) {
			return ErrHeader
		}
	}
	z.startMember()
	return nil
}

// readHeaderBytes fills p from the input, adding it to the header digest
// unless digest is nil.
func (z *Reader) readHeaderBytes(p []byte, digest *uint32) error {
	for i := range p {
		b, err := z.readByte()
		if err != nil {
			return noEOF(err)
		}
		p[i] = b
	}
	if digest != nil {
		*digest = crc32.Update(*digest, crc32.IEEETable, p)
	}
	return nil
}

// buffered returns the unread input, reading more when there is none.
func (z *Reader) buffered() ([]byte, error) {
	if z.ip == z.iend {
		if err := z.fill(); err != nil {
			return nil, noEOF(err)
		}
	}
	return z.in[z.ip:z.iend], nil
}

// skipHeaderBytes skips n bytes of the FEXTRA field.
func (z *Reader) skipHeaderBytes(n int, digest *uint32) error {
	for n > 0 {
		b, err := z.buffered()
		if err != nil {
			return err
		}
		b = b[:min(n, len(b))]
		*digest = crc32.Update(*digest, crc32.IEEETable, b)
		z.ip += len(b)
		n -= len(b)
	}
	return nil
}

// skipString skips a NUL-terminated FNAME or FCOMMENT field.
func (z *Reader) skipString(digest *uint32) error {
	for n := 0; ; {
		b, err := z.buffered()
		if err != nil {
			return err
		}
		end := bytes.IndexByte(b, 0)
		if end >= 0 {
			b = b[:end+1]
		}
		if n += len(b); n > maxString || n == maxString && end < 0 {
			return ErrHeader
		}
		*digest = crc32.Update(*digest, crc32.IEEETable, b)
		z.ip += len(b)
		if end >= 0 {
			return nil
		}
	}
}

// readTrailer checks the member's CRC-32 and length (mod 2^32).
func (z *Reader) readTrailer() error {
	z.alignToByte()
	var t [8]byte
	if err := z.readHeaderBytes(t[:], nil); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(t[:4]) != z.digest || binary.LittleEndian.Uint32(t[4:]) != z.size {
		return ErrChecksum
	}
	return nil
}

package gunzip

// Decoder states between blocks and inside one.
const (
	stateBlockHeader = iota
	stateStored
	stateHuffman
)

const (
	// fastInMargin and fastOutMargin are the input bytes and output room
	// decodeFast needs for one iteration without bounds worries: two 8-byte
	// refills, and three literals or two literals and a 258-byte match
	// written in whole words.
	fastInMargin  = 32
	fastOutMargin = 300
)

// codeOrder is the order of the code length code lengths (RFC 1951 3.2.7).
var codeOrder = [numPre]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// inflate decodes DEFLATE blocks until the output area is full (done is
// false) or the member's last block has ended (done is true).
func (z *Reader) inflate() (done bool, err error) {
	for z.o < z.limit {
		switch z.state {
		case stateBlockHeader:
			if z.final {
				return true, nil
			}
			err = z.readBlockHeader()
		case stateStored:
			err = z.copyStored()
		default:
			if z.iend-z.ip < fastInMargin && z.srcErr == nil {
				// Read ahead so that the fast loop can go on; a source
				// error waits until the buffered bytes are used.
				_ = z.fill()
			}
			if z.iend-z.ip >= fastInMargin && z.o <= z.limit-fastOutMargin {
				err = z.decodeFast()
			} else {
				err = z.decodeSlow()
			}
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// readBlockHeader reads BFINAL and BTYPE and prepares the block.
func (z *Reader) readBlockHeader() error {
	if err := z.needBits(3); err != nil {
		return err
	}
	z.final = z.takeBits(1) == 1
	switch z.takeBits(2) {
	case 0:
		return z.readStoredHeader()
	case 1:
		if !z.fixed {
			var lens [numLitLen + numDist]uint8
			for i := range lens {
				switch {
				case i < 144:
					lens[i] = 8
				case i < 256:
					lens[i] = 9
				case i < 280:
					lens[i] = 7
				case i < numLitLen:
					lens[i] = 8
				default:
					lens[i] = 5
				}
			}
			buildTable(z.litTable[:], lens[:numLitLen], litPayload[:], litBits)
			buildTable(z.distTable[:], lens[numLitLen:], distPayload[:], distBits)
			z.fixed = true
		}
		z.state = stateHuffman
		return nil
	case 2:
		return z.readDynamicHeader()
	default:
		return z.corrupt()
	}
}

// readStoredHeader reads a stored block's LEN and NLEN.
func (z *Reader) readStoredHeader() error {
	z.alignToByte()
	var b [4]byte
	if err := z.readHeaderBytes(b[:], nil); err != nil {
		return err
	}
	n := int(b[0]) | int(b[1])<<8
	if nn := int(b[2]) | int(b[3])<<8; n != nn^0xffff {
		return z.corrupt()
	}
	z.stored = n
	z.state = stateStored
	return nil
}

// copyStored copies stored block data to the output, as far as it fits.
func (z *Reader) copyStored() error {
	for z.stored > 0 && z.o < z.limit {
		b, err := z.buffered()
		if err != nil {
			return err
		}
		n := copy(z.win[z.o:z.limit], b[:min(len(b), z.stored)])
		z.o += n
		z.ip += n
		z.stored -= n
	}
	if z.stored == 0 {
		z.state = stateBlockHeader
	}
	return nil
}

// readDynamicHeader reads the code lengths of a dynamic Huffman block and
// builds its tables.
func (z *Reader) readDynamicHeader() error {
	if err := z.needBits(14); err != nil {
		return err
	}
	nlit := int(z.takeBits(5)) + 257
	ndist := int(z.takeBits(5)) + 1
	nclen := int(z.takeBits(4)) + 4
	if nlit > 286 || ndist > 30 {
		return z.corrupt()
	}
	var preLens [numPre]uint8
	for _, sym := range codeOrder[:nclen] {
		if err := z.needBits(3); err != nil {
			return err
		}
		preLens[sym] = uint8(z.takeBits(3))
	}
	var preTable [preTableSize]uint32
	if !buildTable(preTable[:], preLens[:], prePayload[:], preBits) {
		return z.corrupt()
	}

	var lens [286 + 30]uint8
	for i, n := 0, nlit+ndist; i < n; {
		e, err := z.slowEntry(preTable[:], preBits)
		if err != nil {
			return err
		}
		if e&entryInvalid != 0 {
			return z.corrupt()
		}
		z.takeBits(uint(e & 63))
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep, extra uint32
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return z.corrupt()
			}
			rep, extra, val = 3, 2, lens[i-1]
		case 17:
			rep, extra = 3, 3
		default:
			rep, extra = 11, 7
		}
		if err := z.needBits(uint(extra)); err != nil {
			return err
		}
		rep += z.takeBits(uint(extra))
		if i+int(rep) > n {
			return z.corrupt()
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	z.fixed = false
	if !buildTable(z.litTable[:], lens[:nlit], litPayload[:], litBits) ||
		!buildTable(z.distTable[:], lens[nlit:nlit+ndist], distPayload[:], distBits) {
		return z.corrupt()
	}
	z.state = stateHuffman
	return nil
}

// slowEntry returns the table entry of the next codeword once the bit
// buffer holds all of its bits and extra bits, reading input byte by byte.
// A subtable entry's main-table bits are consumed; the rest is the caller's.
func (z *Reader) slowEntry(table []uint32, tableBits uint) (uint32, error) {
	for {
		e := table[z.bb&(1<<tableBits-1)]
		if e&entrySubtable != 0 {
			if z.bc >= tableBits {
				i := e>>16 + uint32(z.bb>>tableBits)&(1<<(e>>8&15)-1)
				s := table[int(i)&(len(table)-1)]
				if tableBits+uint(s&63) <= z.bc {
					z.takeBits(tableBits)
					return s, nil
				}
			}
		} else if uint(e&63) <= z.bc {
			return e, nil
		}
		if err := z.moreBits(); err != nil {
			return 0, err
		}
	}
}

// decodeSlow decodes one literal, match or end of block with every bounds
// check in place; it serves near the end of the input and output buffers.
func (z *Reader) decodeSlow() error {
	e, err := z.slowEntry(z.litTable[:], litBits)
	if err != nil {
		return err
	}
	switch {
	case e&entryLiteral != 0:
		z.takeBits(uint(e & 63))
		z.win[z.o] = byte(e >> 16)
		z.o++
		return nil
	case e&entryEOB != 0:
		z.takeBits(uint(e & 63))
		z.state = stateBlockHeader
		return nil
	case e&entryInvalid != 0:
		return z.corrupt()
	}
	length := int(e>>16) + int(z.takeBits(uint(e&63))>>(e>>8&15))
	d, err := z.slowEntry(z.distTable[:], distBits)
	if err != nil {
		return err
	}
	if d&entryInvalid != 0 {
		return z.corrupt()
	}
	dist := int(d>>16) + int(z.takeBits(uint(d&63))>>(d>>8&15))
	if dist > z.o-z.histStart {
		return z.corrupt()
	}
	out := z.win[z.o : z.o+length]
	src := z.win[z.o-dist:]
	for i := range out {
		out[i] = src[i]
	}
	z.o += length
	return nil
}

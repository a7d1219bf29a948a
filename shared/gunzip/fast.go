package gunzip

import "encoding/binary"

// decodeFast decodes a Huffman block while at least fastInMargin input
// bytes and fastOutMargin bytes of output room remain, so that refills and
// match copies need no end checks. It keeps the bit buffer and positions in
// locals, refills the bit buffer with one 8-byte load, and copies matches
// in 8-byte words, writing up to 7 bytes past a match that the next symbol
// overwrites.
func (z *Reader) decodeFast() error {
	in := z.in[:z.iend]
	win := z.win
	lt, dt := &z.litTable, &z.distTable
	bb, bc, ip, o := z.bb, z.bc, z.ip, z.o
	hist := z.histStart
	inEnd := len(in) - fastInMargin
	outEnd := z.limit - fastOutMargin
	var err error
	for ip <= inEnd && o <= outEnd {
		// Refill to 56..63 bits. The bits above bc are the next input
		// bytes, so or-ing them in again later is harmless.
		bb |= binary.LittleEndian.Uint64(in[ip:]) << (bc & 63)
		ip += int((63 - bc) >> 3)
		bc |= 56

		e := lt[bb&litMask]
		if e&entryLiteral != 0 {
			// Main-table literals take at most litBits bits, so three fit
			// in one refill with the next lookup.
			n := uint(e & 63)
			bb >>= n
			bc -= n
			win[o] = byte(e >> 16)
			o++
			e = lt[bb&litMask]
			if e&entryLiteral != 0 {
				n = uint(e & 63)
				bb >>= n
				bc -= n
				win[o] = byte(e >> 16)
				o++
				e = lt[bb&litMask]
				if e&entryLiteral != 0 {
					n = uint(e & 63)
					bb >>= n
					bc -= n
					win[o] = byte(e >> 16)
					o++
					continue
				}
			}
			bb |= binary.LittleEndian.Uint64(in[ip:]) << (bc & 63)
			ip += int((63 - bc) >> 3)
			bc |= 56
		}
		if e&entryExceptional != 0 {
			if e&entrySubtable != 0 {
				bb >>= litBits
				bc -= litBits
				e = lt[(e>>16+uint32(bb)&(1<<(e>>8&15)-1))&(litTableSize-1)]
				if e&entryLiteral != 0 {
					n := uint(e & 63)
					bb >>= n
					bc -= n
					win[o] = byte(e >> 16)
					o++
					continue
				}
			}
			if e&entryEOB != 0 {
				n := uint(e & 63)
				bb >>= n
				bc -= n
				z.state = stateBlockHeader
				break
			}
			if e&entryInvalid != 0 {
				err = CorruptInputError(z.inBase + int64(ip) - int64(bc>>3))
				break
			}
		}

		// A match: at most 20 bits of length and 28 of distance, which the
		// refill above covers.
		n := uint(e & 63)
		length := int(e>>16) + int((bb&(1<<n-1))>>(e>>8&15))
		bb >>= n
		bc -= n
		d := dt[bb&distMask]
		if d&(entrySubtable|entryInvalid) != 0 {
			if d&entrySubtable != 0 {
				bb >>= distBits
				bc -= distBits
				d = dt[(d>>16+uint32(bb)&(1<<(d>>8&15)-1))&(distTableSize-1)]
			}
			if d&entryInvalid != 0 {
				err = CorruptInputError(z.inBase + int64(ip) - int64(bc>>3))
				break
			}
		}
		n = uint(d & 63)
		dist := int(d>>16) + int((bb&(1<<n-1))>>(d>>8&15))
		bb >>= n
		bc -= n
		if dist > o-hist {
			err = CorruptInputError(z.inBase + int64(ip) - int64(bc>>3))
			break
		}
		src := o - dist
		end := o + length
		switch {
		case dist >= 8:
			for o < end {
				binary.LittleEndian.PutUint64(win[o:], binary.LittleEndian.Uint64(win[src:]))
				o += 8
				src += 8
			}
		case dist == 1:
			v := uint64(win[src]) * 0x0101010101010101
			for o < end {
				binary.LittleEndian.PutUint64(win[o:], v)
				o += 8
			}
		default:
			for o < end {
				win[o] = win[src]
				o++
				src++
			}
		}
		o = end
	}
	z.bb, z.bc, z.ip, z.o = bb, bc, ip, o
	return err
}

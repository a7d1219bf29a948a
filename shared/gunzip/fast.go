package gunzip

import "encoding/binary"

// decodeFast decodes a Huffman block while at least fastInMargin input
// bytes and fastOutMargin bytes of output room remain, so that refills and
// match copies need no end checks. It keeps the bit buffer and positions in
// locals, refills the bit buffer with one 8-byte load, looks up the next
// symbol before copying a match so that the two overlap, and copies
// matches in 8-byte words, writing up to 37 bytes past a match's end that
// later symbols overwrite.
func (z *Reader) decodeFast() error {
	in := z.in[:z.iend]
	win := z.win
	lt, dt := &z.litTable, &z.distTable
	bb, bc, ip, o := z.bb, z.bc, z.ip, z.o
	hist := z.histStart
	inEnd := len(in) - fastInMargin
	outEnd := z.limit - fastOutMargin
	var err error

	// Each refill brings the bit buffer to 56..63 bits. The bits above bc
	// are the next input bytes, so or-ing them in again later is harmless.
	bb |= binary.LittleEndian.Uint64(in[ip:]) << (bc & 63)
	ip += int((63 - bc) >> 3)
	bc |= 56
	e := lt[bb&litMask]
	for ip <= inEnd && o <= outEnd {
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
					bb |= binary.LittleEndian.Uint64(in[ip:]) << (bc & 63)
					ip += int((63 - bc) >> 3)
					bc |= 56
					e = lt[bb&litMask]
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
					bb |= binary.LittleEndian.Uint64(in[ip:]) << (bc & 63)
					ip += int((63 - bc) >> 3)
					bc |= 56
					e = lt[bb&litMask]
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
		// refill covers.
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
		bb |= binary.LittleEndian.Uint64(in[ip:]) << (bc & 63)
		ip += int((63 - bc) >> 3)
		bc |= 56
		e = lt[bb&litMask]

		src := o - dist
		end := o + length
		switch {
		case dist >= 8:
			// Most matches are at most 40 bytes: five unconditional word
			// copies, then a loop for longer ones. Each word is read after
			// the one dist bytes before it has been written.
			s := (*[40]byte)(win[src:])
			t := (*[40]byte)(win[o:])
			binary.LittleEndian.PutUint64(t[0:], binary.LittleEndian.Uint64(s[0:]))
			binary.LittleEndian.PutUint64(t[8:], binary.LittleEndian.Uint64(s[8:]))
			binary.LittleEndian.PutUint64(t[16:], binary.LittleEndian.Uint64(s[16:]))
			binary.LittleEndian.PutUint64(t[24:], binary.LittleEndian.Uint64(s[24:]))
			binary.LittleEndian.PutUint64(t[32:], binary.LittleEndian.Uint64(s[32:]))
			if length > 40 {
				if dist >= length {
					copy(win[o+40:end], win[src+40:src+length])
				} else {
					for o, src = o+40, src+40; o < end; o, src = o+8, src+8 {
						binary.LittleEndian.PutUint64(win[o:], binary.LittleEndian.Uint64(win[src:]))
					}
				}
			}
		case dist == 1:
			v := uint64(win[src]) * 0x0101010101010101
			t := (*[40]byte)(win[o:])
			binary.LittleEndian.PutUint64(t[0:], v)
			binary.LittleEndian.PutUint64(t[8:], v)
			binary.LittleEndian.PutUint64(t[16:], v)
			binary.LittleEndian.PutUint64(t[24:], v)
			binary.LittleEndian.PutUint64(t[32:], v)
			for o += 40; o < end; o += 8 {
				binary.LittleEndian.PutUint64(win[o:], v)
			}
		default:
			for ; o < end; o, src = o+1, src+1 {
				win[o] = win[src]
			}
		}
		o = end
	}
	z.bb, z.bc, z.ip, z.o = bb, bc, ip, o
	return err
}

package gunzip

import "math/bits"

// A decode table entry is a uint32 that tells the decoder everything it
// needs from one lookup:
//
//	bits  0-7   bits to consume: codeword length plus extra bits
//	            (for a subtable pointer: the main table's index bits)
//	bits  8-11  codeword length (for a subtable pointer: the subtable's index bits)
//	bits 12-15  flags below
//	bits 16-31  value: literal byte, length or distance base, subtable start
//	            or code-length symbol
//
// A length or distance is base + (next "bits to consume" bits >> codeword length).
const (
	entryLiteral  = 1 << 12
	entrySubtable = 1 << 13
	entryEOB      = 1 << 14
	entryInvalid  = 1 << 15

	entryExceptional = entrySubtable | entryEOB | entryInvalid
)

const (
	litBits       = 11
	litMask       = 1<<litBits - 1
	litTableSize  = 4096 // a power of two above libdeflate's bound of 2342 entries
	distBits      = 8
	distMask      = 1<<distBits - 1
	distTableSize = 512 // a power of two above the bound of 402 entries
	preBits       = 7
	preTableSize  = 1 << preBits

	maxCodeLen = 15
	numLitLen  = 288 // including the two unused symbols of the fixed code
	numDist    = 32
	numPre     = 19
	endOfBlock = 256
)

// litPayload, distPayload and prePayload hold each symbol's entry without
// its codeword length: the value and flags, and the extra-bit count in bits 0-7.
var (
	litPayload  [numLitLen]uint32
	distPayload [numDist]uint32
	prePayload  [numPre]uint32
)

func init() {
	for i := range 256 {
		litPayload[i] = entryLiteral | uint32(i)<<16
	}
	litPayload[endOfBlock] = entryEOB
	base := uint32(3)
	for sym := 257; sym < 285; sym++ {
		extra := uint32(0)
		if sym >= 265 {
			extra = uint32(sym-261) / 4
		}
		litPayload[sym] = base<<16 | extra
		base += 1 << extra
	}
	litPayload[285] = 258 << 16
	litPayload[286] = entryInvalid
	litPayload[287] = entryInvalid

	base = 1
	for sym := range 30 {
		extra := uint32(0)
		if sym >= 4 {
			extra = uint32(sym-2) / 2
		}
		distPayload[sym] = base<<16 | extra
		base += 1 << extra
	}
	distPayload[30] = entryInvalid
	distPayload[31] = entryInvalid

	for sym := range numPre {
		prePayload[sym] = uint32(sym) << 16
	}
}

// buildTable fills table with the decode table of the canonical Huffman code
// whose codeword lengths are lens (0 = symbol unused), given each symbol's
// payload. It reports false for codes that compress/flate rejects: over-
// subscribed codes and incomplete ones other than a single codeword of
// length 1. An empty code gives a table of invalid entries, which fails
// only if the block uses it (a block with literals only has no distances).
func buildTable(table []uint32, lens []uint8, payload []uint32, tableBits uint) bool {
	var count [maxCodeLen + 1]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	maxLen := 0
	for l := maxCodeLen; l > 0; l-- {
		if count[l] != 0 {
			maxLen = l
			break
		}
	}
	mainSize := 1 << tableBits
	invalid := uint32(entryInvalid | tableBits)
	if maxLen == 0 {
		for i := range table[:mainSize] {
			table[i] = invalid
		}
		return true
	}
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false
		}
	}
	if left != 0 {
		if maxLen != 1 || count[1] != 1 {
			return false
		}
		for i := range table[:mainSize] {
			table[i] = invalid
		}
	}

	// Sort the symbols by codeword length, then by value: canonical order.
	var offs [maxCodeLen + 2]int
	for l := 1; l <= maxCodeLen; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [numLitLen]uint16
	for sym, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	n := offs[maxCodeLen+1]

	code, codeLen := 0, 0
	subStart, subBits, prefix := 0, uint(0), -1
	next := mainSize
	for _, sym := range sorted[:n] {
		l := int(lens[sym])
		code <<= l - codeLen
		codeLen = l
		if uint(l) <= tableBits {
			e := payload[sym] + uint32(l)*0x101
			for i := reverse(code, l); i < mainSize; i += 1 << l {
				table[i] = e
			}
		} else {
			rest := l - int(tableBits)
			if p := reverse(code>>rest, int(tableBits)); p != prefix {
				prefix = p
				// The subtable grows until the codes still to be placed
				// fill it (zlib's inflate_table does the same).
				subBits = uint(rest)
				space := 1 << subBits
				for int(subBits+tableBits) < maxLen {
					space -= count[subBits+tableBits]
					if space <= 0 {
						break
					}
					subBits++
					space <<= 1
				}
				subStart = next
				next += 1 << subBits
				if next > len(table) {
					return false
				}
				table[p] = entrySubtable | uint32(subStart)<<16 | uint32(subBits)<<8 | uint32(tableBits)
			}
			e := payload[sym] + uint32(rest)*0x101
			for i := reverse(code&(1<<rest-1), rest); i < 1<<subBits; i += 1 << rest {
				table[subStart+i] = e
			}
		}
		count[l]--
		code++
	}
	return true
}

// reverse returns the low n bits of code in reverse order: DEFLATE sends
// Huffman codes most significant bit first into an LSB-first bit stream.
func reverse(code, n int) int {
	return int(bits.Reverse16(uint16(code)) >> (16 - n))
}

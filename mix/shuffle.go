package mix

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// stream returns a PCG generator (math/rand/v2's PCG-DXSM, a fixed,
// documented algorithm) seeded from the global seed and a purpose and name:
// the first 16 bytes of sha256(purpose NUL seed NUL name). Deriving the
// seed from the name keeps each label's split independent of every other
// label: swapping one slot leaves the others' drawings untouched.
func stream(seed uint64, purpose, name string) *rand.PCG {
	h := sha256.New()
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, seed))
	h.Write([]byte{0})
	h.Write([]byte(name))
	sum := h.Sum(nil)
	return rand.NewPCG(binary.BigEndian.Uint64(sum[0:8]), binary.BigEndian.Uint64(sum[8:16]))
}

// below returns a uniform integer in [0, n) from g, by Lemire's
// multiply-and-reject method ("Fast random integer generation in an
// interval", ACM TOMACS 29(1), 2019). Written out here rather than taken
// from math/rand/v2 so the sequence is fixed whatever the Go version.
func below(g *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(g.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(g.Uint64(), n)
		}
	}
	return hi
}

// permutation returns a pseudo-random permutation of 0 … n-1 by the
// Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm P).
func permutation(g *rand.PCG, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(below(g, uint64(i+1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

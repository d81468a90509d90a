package money

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"
)

// ErrNoWeights is returned by Allocate when there is nothing to allocate over.
var ErrNoWeights = errors.New("no weights to allocate over")

// Allocate splits total over len(weights) shares proportionally to weights,
// exactly: the shares always sum to total. Each share is first the floor of
// total×w/Σw; the fen left over (fewer than the number of shares) go one
// each to the shares with the largest remainders, ties to the earlier
// share, so the result is deterministic and every share is within one fen
// of its exact proportion.
//
// Used to spread an inventory's freight and insurance over its lines. When
// every weight is zero the total is split equally by the same rule. total and
// weights must not be negative.
func Allocate(total Amount, weights []Amount) ([]Amount, error) {
	if len(weights) == 0 {
		return nil, fmt.Errorf("allocate %s: %w", total, ErrNoWeights)
	}
	if total.IsNegative() {
		return nil, fmt.Errorf("allocate %s: %w", total, ErrNegative)
	}
	w := make([]uint64, len(weights))
	var sum uint64
	for i, a := range weights {
		if a.IsNegative() {
			return nil, fmt.Errorf("allocate %s: weight %d is %s: %w", total, i, a, ErrNegative)
		}
		w[i] = uint64(a.fen)
		var carry uint64
		if sum, carry = bits.Add64(sum, w[i], 0); carry != 0 {
			return nil, fmt.Errorf("allocate %s: sum of weights: %w", total, ErrOverflow)
		}
	}
	if sum == 0 { // all weights zero: split equally
		for i := range w {
			w[i] = 1
		}
		sum = uint64(len(w))
	}
	return largestRemainder(uint64(total.fen), w, sum), nil
}

// largestRemainder does Allocate's arithmetic on validated input. Products
// are taken in 128 bits so no total or weight can overflow; the quotient
// fits in 64 bits because w ≤ sum.
func largestRemainder(total uint64, w []uint64, sum uint64) []Amount {
	shares := make([]Amount, len(w))
	rems := make([]uint64, len(w))
	left := total
	for i, wi := range w {
		hi, lo := bits.Mul64(total, wi)
		q, r := bits.Div64(hi, lo, sum)
		shares[i] = Amount{fen: int64(q)}
		rems[i] = r
		left -= q
	}
	order := make([]int, len(w))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for k := uint64(0); k < left; k++ {
		shares[order[k]].fen++
	}
	return shares
}

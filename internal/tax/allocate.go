package tax

import (
	"fmt"

	"github.com/cbec-platform/cbec/internal/money"
)

// DutiableValues returns each line's dutiable value: its totalPrice plus its
// share of the inventory's freight and of its insurance, each spread over
// the lines in proportion to totalPrice. Shares are exact to the fen and sum
// to freight and insurance exactly; leftover fen go to the lines with the
// largest remainders, earlier lines first on ties (money.Allocate).
func DutiableValues(totalPrices []money.Amount, freight, insurance money.Amount) ([]money.Amount, error) {
	freightShares, err := money.Allocate(freight, totalPrices)
	if err != nil {
		return nil, fmt.Errorf("dutiable values: freight: %w", err)
	}
	insuranceShares, err := money.Allocate(insurance, totalPrices)
	if err != nil {
		return nil, fmt.Errorf("dutiable values: insurance: %w", err)
	}
	out := make([]money.Amount, len(totalPrices))
	for i, p := range totalPrices {
		if out[i], err = money.Sum(p, freightShares[i], insuranceShares[i]); err != nil {
			return nil, fmt.Errorf("dutiable values: line %d: %w", i+1, err)
		}
	}
	return out, nil
}

package money

// Calc chains Decimal operations with a sticky error, so a formula reads as a
// formula: after the first failure every further step returns zero and Err
// reports that first failure. The zero value is ready to use.
//
//	var c money.Calc
//	ct := c.Mul(c.Quo(value, c.Sub(one, rate)), rate)
//	if err := c.Err(); err != nil { … }
type Calc struct {
	err error
}

// Err returns the first error met, or nil.
func (c *Calc) Err() error { return c.err }

// Add returns a+b.
func (c *Calc) Add(a, b Decimal) Decimal { return c.do(a.Add, b) }

// Sub returns a−b.
func (c *Calc) Sub(a, b Decimal) Decimal { return c.do(a.Sub, b) }

// Mul returns a×b.
func (c *Calc) Mul(a, b Decimal) Decimal { return c.do(a.Mul, b) }

// Quo returns a÷b.
func (c *Calc) Quo(a, b Decimal) Decimal { return c.do(a.Quo, b) }

func (c *Calc) do(f func(Decimal) (Decimal, error), b Decimal) Decimal {
	if c.err != nil {
		return Decimal{}
	}
	r, err := f(b)
	if err != nil {
		c.err = err
		return Decimal{}
	}
	return r
}

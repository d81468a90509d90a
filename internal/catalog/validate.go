package catalog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cbec-platform/cbec/internal/money"
)

// Validation errors for identifiers, wrapped with detail.
var (
	ErrHSCode  = errors.New("invalid HS code")
	ErrGTIN    = errors.New("invalid GTIN")
	ErrCode3   = errors.New("invalid 3-digit code")
	ErrRate    = errors.New("invalid rate")
	ErrCapText = errors.New("invalid yearly cap")
)

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidateHSCode checks that code is all digits with one of the allowed
// lengths.
func ValidateHSCode(code string, lengths ...int) error {
	if !allDigits(code) {
		return fmt.Errorf("%w %q: digits only", ErrHSCode, code)
	}
	for _, n := range lengths {
		if len(code) == n {
			return nil
		}
	}
	return fmt.Errorf("%w %q: %d digits, want %s", ErrHSCode, code, len(code), joinInts(lengths))
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, " or ")
}

// ValidateGTIN checks a GTIN-8, -12, -13 or -14: digits only and the GS1
// mod-10 check digit (weights 3 and 1 alternating from the right, the check
// digit excluded).
func ValidateGTIN(gtin string) error {
	switch len(gtin) {
	case 8, 12, 13, 14:
	default:
		return fmt.Errorf("%w %q: %d digits, want 8, 12, 13 or 14", ErrGTIN, gtin, len(gtin))
	}
	if !allDigits(gtin) {
		return fmt.Errorf("%w %q: digits only", ErrGTIN, gtin)
	}
	want := GTINCheckDigit(gtin[:len(gtin)-1])
	if got := gtin[len(gtin)-1]; got != want {
		return fmt.Errorf("%w %q: check digit %c, computed %c", ErrGTIN, gtin, got, want)
	}
	return nil
}

// GTINCheckDigit computes the GS1 check digit for the digits before it. The
// caller guarantees digits only.
func GTINCheckDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3 // the digit next to the check digit weighs 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// validateCode3 checks a customs code-table value such as a country code
// ("502") or unit code ("035"): exactly three digits.
func validateCode3(code string) error {
	if len(code) != 3 || !allDigits(code) {
		return fmt.Errorf("%w %q: want exactly 3 digits", ErrCode3, code)
	}
	return nil
}

// parseRate parses a rate written as a decimal in [0, 1): "0.13".
func parseRate(s string) (money.Decimal, error) {
	if strings.HasSuffix(s, "%") {
		return money.Decimal{}, fmt.Errorf("%w %q: write rates as decimals, e.g. 0.13 for 13%%", ErrRate, s)
	}
	d, err := money.ParseDecimal(s)
	if err != nil {
		return money.Decimal{}, fmt.Errorf("%w: %w", ErrRate, err)
	}
	if d.Sign() < 0 || d.Cmp(money.DecimalFromInt(1)) >= 0 {
		return money.Decimal{}, fmt.Errorf("%w %s: must be at least 0 and below 1", ErrRate, d)
	}
	return d, nil
}

// parseNonNegative parses an optional non-negative decimal; "" is zero.
func parseNonNegative(s string) (money.Decimal, error) {
	if s == "" {
		return money.Decimal{}, nil
	}
	d, err := money.ParseDecimal(s)
	if err != nil {
		return money.Decimal{}, err
	}
	if d.Sign() < 0 {
		return money.Decimal{}, fmt.Errorf("%s is negative", d)
	}
	return d, nil
}

// ParseQuantity parses a quantity with a unit such as "2 kg", "20kg" or
// "2 千克", as yearly caps are written in list remarks.
func ParseQuantity(s string) (Quantity, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return Quantity{}, fmt.Errorf("%w %q: want an amount and a unit, e.g. \"2 kg\"", ErrCapText, s)
	}
	amount, err := money.ParseDecimal(s[:i])
	if err != nil {
		return Quantity{}, fmt.Errorf("%w %q: %w", ErrCapText, s, err)
	}
	if amount.Sign() <= 0 {
		return Quantity{}, fmt.Errorf("%w %q: amount must be positive", ErrCapText, s)
	}
	unit, err := ParseUnit(s[i:])
	if err != nil {
		return Quantity{}, fmt.Errorf("%w %q: %w", ErrCapText, s, err)
	}
	return Quantity{Amount: amount, Unit: unit}, nil
}

package ident

import (
	"fmt"
	"strings"
)

// USCCLength is the length of a unified social credit code.
const USCCLength = 18

// usccAlphabet is the GB 32100 character set: digits and upper-case letters
// without I, O, S, V and Z (easily confused with digits). A character's value
// is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the GB 32100 weights 3^(i) mod 31 for positions 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar returns the GB 32100 check character for the first 17
// characters of a unified social credit code.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("USCC body: %w: %d characters, want 17", ErrLength, len(first17))
	}
	for i := 0; i < 17; i++ {
		if strings.IndexByte(usccAlphabet, first17[i]) < 0 {
			return 0, fmt.Errorf("USCC body: %w %q at position %d: not in the GB 32100 alphabet", ErrCharacter, first17[i], i+1)
		}
	}
	return usccCheckOf(first17), nil
}

// usccCheckOf computes the check character of 17 characters the caller has
// already checked against the alphabet.
func usccCheckOf(body string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccAlphabet, body[i]) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// ValidateUSCC reports whether code is a valid 18-character unified social
// credit code: every character in the GB 32100 alphabet (upper case) and the
// 18th the check character of the first 17. It does not check the embedded
// organisation code or region, which vary by registration authority.
func ValidateUSCC(code string) error {
	if len(code) != USCCLength {
		return fmt.Errorf("USCC: %w: %d bytes, want %d", ErrLength, len(code), USCCLength)
	}
	want, err := USCCCheckChar(code[:17])
	if err != nil {
		return fmt.Errorf("USCC: %w", err)
	}
	got := code[17]
	if strings.IndexByte(usccAlphabet, got) < 0 {
		return fmt.Errorf("USCC: %w %q at position 18: not in the GB 32100 alphabet", ErrCharacter, got)
	}
	if got != want {
		return fmt.Errorf("USCC: %w: position 18 is %q, computed %q", ErrCheckDigit, got, want)
	}
	return nil
}

// Package ident validates, generates and masks the identifiers the platform
// handles: the 18-character resident identity number (GB 11643) of buyers and
// payers, and the 18-character unified social credit code (GB 32100) of
// enterprises.
//
// Validators are strict: they take the identifier exactly as it will be
// compared and stored. Callers that accept free-form input should pass it
// through Normalize first, so that "11010119900307451x " and
// "11010119900307451X" do not become two different buyers.
package ident

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned (wrapped) by the validators, so callers can map each failed
// check to its own reason code with errors.Is.
var (
	ErrLength     = errors.New("wrong length")
	ErrCharacter  = errors.New("invalid character")
	ErrCheckDigit = errors.New("check character mismatch")
	ErrBirthDate  = errors.New("implausible birth date")
)

// ResidentIDLength is the length of a second-generation resident identity
// number.
const ResidentIDLength = 18

// residentWeights are the GB 11643 weights 2^(17-i) mod 11 for positions
// 1..17.
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentCheckChars maps (weighted sum mod 11) to the check character.
const residentCheckChars = "10X98765432"

// earliestBirth is the lower bound for a plausible birth date; holders born
// before 1900 do not exist among living buyers.
var earliestBirth = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// Normalize trims surrounding white space and upper-cases an identifier, the
// only two liberties a validator may take with user input.
func Normalize(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// ResidentIDCheckChar returns the GB 11643 check character for the first 17
// digits of a resident identity number.
func ResidentIDCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("resident ID body: %w: %d characters, want 17", ErrLength, len(first17))
	}
	for i := 0; i < 17; i++ {
		if c := first17[i]; c < '0' || c > '9' {
			return 0, fmt.Errorf("resident ID body: %w %q at position %d: want a digit", ErrCharacter, c, i+1)
		}
	}
	return residentCheckOf(first17), nil
}

// residentCheckOf computes the check character of 17 digits the caller has
// already validated.
func residentCheckOf(digits string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(digits[i]-'0') * residentWeights[i]
	}
	return residentCheckChars[sum%11]
}

// ResidentID is a validated resident identity number broken into its parts.
type ResidentID struct {
	Number    string    // the 18 characters
	Region    string    // 6-digit administrative division code of first registration
	BirthDate time.Time // UTC midnight of the birth date
	Sequence  string    // 3-digit sequence; odd for men, even for women
}

// Male reports whether the sequence code denotes a man (odd last digit).
func (r ResidentID) Male() bool {
	return (r.Sequence[2]-'0')%2 == 1
}

// ParseResidentID validates an 18-character resident identity number and
// returns its parts. The birth date must be a real calendar date, not before
// 1900 and not after now (taken from the caller so tests are deterministic).
// The check character must be an upper-case X where it is ten; use Normalize
// on user input.
func ParseResidentID(id string, now time.Time) (ResidentID, error) {
	if len(id) != ResidentIDLength {
		return ResidentID{}, fmt.Errorf("resident ID: %w: %d bytes, want %d", ErrLength, len(id), ResidentIDLength)
	}
	want, err := ResidentIDCheckChar(id[:17])
	if err != nil {
		return ResidentID{}, fmt.Errorf("resident ID: %w", err)
	}
	got := id[17]
	if got != 'X' && (got < '0' || got > '9') {
		return ResidentID{}, fmt.Errorf("resident ID: %w %q at position 18: want a digit or X", ErrCharacter, got)
	}
	if got != want {
		return ResidentID{}, fmt.Errorf("resident ID: %w: position 18 is %q, computed %q", ErrCheckDigit, got, want)
	}
	birth, err := parseBirthDate(id[6:14], now)
	if err != nil {
		return ResidentID{}, fmt.Errorf("resident ID: %w", err)
	}
	return ResidentID{Number: id, Region: id[:6], BirthDate: birth, Sequence: id[14:17]}, nil
}

// ValidateResidentID reports whether id is a valid resident identity number
// as of now; see ParseResidentID.
func ValidateResidentID(id string, now time.Time) error {
	_, err := ParseResidentID(id, now)
	return err
}

// parseBirthDate checks the YYYYMMDD birth date block. time.Parse rejects
// impossible dates such as 19900230, which is what we want.
func parseBirthDate(yyyymmdd string, now time.Time) (time.Time, error) {
	birth, err := time.Parse("20060102", yyyymmdd)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a calendar date", ErrBirthDate, yyyymmdd)
	}
	if birth.Before(earliestBirth) {
		return time.Time{}, fmt.Errorf("%w: %s is before 1900", ErrBirthDate, birth.Format(time.DateOnly))
	}
	// Compare calendar dates in the caller's zone: someone born today in
	// Beijing is not "in the future" while it is still yesterday in UTC.
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if birth.After(today) {
		return time.Time{}, fmt.Errorf("%w: %s is in the future", ErrBirthDate, birth.Format(time.DateOnly))
	}
	return birth, nil
}

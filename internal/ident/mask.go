package ident

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maskRune is what replaces hidden characters.
const maskRune = '*'

// MaskIDNumber hides the birth date and sequence of an identity number for
// screens and logs: "110101199003074514" → "110101********4514". The region
// (first 6) and last 4 characters stay so an officer can tell two numbers
// apart. Shorter inputs keep proportionally less; at most a third of the
// characters is ever shown.
func MaskIDNumber(id string) string {
	r := []rune(id)
	switch n := len(r); {
	case n >= 18:
		return keepEnds(r, 6, 4)
	case n >= 9:
		return keepEnds(r, n/6, n/6)
	default:
		return keepEnds(r, 0, 0)
	}
}

// MaskPhone hides the middle of a phone number: "13812345678" → "138****5678".
// Numbers shorter than 11 characters keep only their last 2.
func MaskPhone(phone string) string {
	r := []rune(phone)
	if len(r) >= 11 {
		return keepEnds(r, 3, 4)
	}
	if len(r) >= 6 {
		return keepEnds(r, 0, 2)
	}
	return keepEnds(r, 0, 0)
}

// MaskName keeps the first character of a name (the surname, for Chinese
// names) and hides the rest: "张三" → "张*", "欧阳娜娜" → "欧***". A
// one-character name is hidden entirely.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) <= 1 {
		return keepEnds(r, 0, 0)
	}
	return keepEnds(r, 1, 0)
}

// keepEnds replaces all but the first head and last tail runes with maskRune.
func keepEnds(r []rune, head, tail int) string {
	if head+tail > len(r) {
		head, tail = 0, 0
	}
	out := make([]rune, len(r))
	for i, c := range r {
		if i < head || i >= len(r)-tail {
			out[i] = c
		} else {
			out[i] = maskRune
		}
	}
	return string(out)
}

// HashIDNumber returns the HMAC-SHA256 of the normalized identity number under
// secret, hex encoded. It is a stable lookup key (quota per buyer, payer equals
// buyer) that does not keep the number in clear; without the secret the
// small space of valid numbers cannot be enumerated against it. Normalizing
// first makes "…451x" and "…451X" the same buyer.
func HashIDNumber(secret []byte, id string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(Normalize(id)))
	return hex.EncodeToString(mac.Sum(nil))
}

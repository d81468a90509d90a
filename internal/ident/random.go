package ident

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// regionCodes are real county-level division codes, so generated numbers look
// like what the platform sees in production (Beijing Dongcheng, Shanghai
// Xuhui, Guangzhou Tianhe, Shenzhen Nanshan, Hangzhou Xihu, Chongqing Yubei,
// Chengdu Wuhou, Ningbo Haishu, Zhengzhou Jinshui, Wuhan Jiang'an).
var regionCodes = []string{
	"110101", "310104", "440106", "440305", "330106",
	"500112", "510107", "330203", "410105", "420102",
}

// Generated buyers are adults born between these dates, which keeps the
// numbers valid for any "now" after 2008.
var (
	randomBirthFrom = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
	randomBirthTo   = time.Date(2007, 12, 31, 0, 0, 0, 0, time.UTC)
)

// RandomResidentID returns a valid resident identity number drawn from r:
// a real region code, a birth date between 1950 and 2007, a random sequence
// and the correct check character. It is for tests, demo data and load
// generation; the same seed gives the same number.
func RandomResidentID(r *rand.Rand) string {
	region := regionCodes[r.IntN(len(regionCodes))]
	days := int(randomBirthTo.Sub(randomBirthFrom).Hours() / 24)
	birth := randomBirthFrom.AddDate(0, 0, r.IntN(days+1))
	body := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), r.IntN(1000))
	return body + string(residentCheckOf(body))
}

// RandomUSCC returns a valid unified social credit code drawn from r, shaped
// like an enterprise's code: registration authority 9 (market regulator),
// category 1 (company), a real region code, a 9-character organisation code
// with its GB 11714 check character, and the GB 32100 check character.
func RandomUSCC(r *rand.Rand) string {
	region := regionCodes[r.IntN(len(regionCodes))]
	org := randomOrgCode(r)
	body := "91" + region + org
	return body + string(usccCheckOf(body))
}

// orgCodeWeights are the GB 11714 weights for the 8 body characters of an
// organisation code.
var orgCodeWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// randomOrgCode builds an organisation code from characters that are also in
// the USCC alphabet, so the result can sit inside a USCC.
func randomOrgCode(r *rand.Rand) string {
	var b [9]byte
	sum := 0
	for i := 0; i < 8; i++ {
		c := usccAlphabet[r.IntN(len(usccAlphabet))]
		b[i] = c
		sum += orgCharValue(c) * orgCodeWeights[i]
	}
	switch check := 11 - sum%11; check {
	case 10:
		b[8] = 'X'
	case 11:
		b[8] = '0'
	default:
		b[8] = byte('0' + check)
	}
	return string(b[:])
}

// orgCharValue is the GB 11714 value of a character: digits as themselves,
// letters A=10 … Z=35.
func orgCharValue(c byte) int {
	if c >= '0' && c <= '9' {
		return int(c - '0')
	}
	return int(c-'A') + 10
}

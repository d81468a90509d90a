package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A receipt's returnInfo is stored as the sender was answered, but for the
// texts of frequentInfos, which most receipts carry (every document accepted
// at intake is answered with the first): for those a row keeps infoRef and
// the text's place in the list, 2 bytes instead of 46, about 180 bytes a
// declaration. Rows name the texts by their place, so the list only grows:
// an entry is never changed, moved or removed. Should the text answered
// change elsewhere (clearance.Reasons), the new one is stored in full.
var frequentInfos = []string{
	"[Code:1800;Desc:逻辑校验通过 / accepted]",
}

// infoRef starts a stored returnInfo that is a place in frequentInfos: a
// control character, which no text the platform answers holds.
const infoRef = "\x1e"

// storedInfo is returnInfo as a receipt's row keeps it.
func storedInfo(info string) (string, error) {
	if strings.HasPrefix(info, infoRef) {
		return "", fmt.Errorf("returnInfo %q starts with a control character", info)
	}
	if i := slices.Index(frequentInfos, info); i >= 0 {
		return infoRef + strconv.Itoa(i), nil
	}
	return info, nil
}

// readInfo is the returnInfo of a receipt's row as stored.
func readInfo(stored string) (string, error) {
	n, ok := strings.CutPrefix(stored, infoRef)
	if !ok {
		return stored, nil
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= len(frequentInfos) {
		return "", fmt.Errorf("stored returnInfo %q names no known text", stored)
	}
	return frequentInfos[i], nil
}

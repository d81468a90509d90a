package ceb

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// chinaTime is China Standard Time. A fixed zone: no tzdata needed, and
// China has no daylight saving time.
var chinaTime = time.FixedZone("CST", 8*3600)

// FormatReturnTime formats t as the 17-digit returnTime YYYYMMDDhhmmssSSS in
// China time.
func FormatReturnTime(t time.Time) string {
	t = t.In(chinaTime)
	ms := t.Nanosecond() / int(time.Millisecond)
	return t.Format("20060102150405") + string([]byte{byte('0' + ms/100), byte('0' + ms/10%10), byte('0' + ms%10)})
}

// FormatReturnInfo formats the returnInfo customs uses: [Code:1800;Desc:逻辑校验通过].
func FormatReturnInfo(code, desc string) string {
	return "[Code:" + code + ";Desc:" + desc + "]"
}

// returnTypes maps each declaration to its receipt.
var returnTypes = map[string]string{
	"CEB311Message": "CEB312Message", "CEB411Message": "CEB412Message",
	"CEB511Message": "CEB512Message", "CEB513Message": "CEB514Message",
	"CEB621Message": "CEB622Message", "CEB623Message": "CEB624Message",
	"CEB625Message": "CEB626Message", "CEB711Message": "CEB712Message",
	"CEB303Message": "CEB304Message", "CEB403Message": "CEB404Message",
	"CEB505Message": "CEB506Message", "CEB507Message": "CEB508Message",
	"CEB509Message": "CEB510Message", "CEB603Message": "CEB604Message",
	"CEB605Message": "CEB606Message", "CEB607Message": "CEB608Message",
	"CEB213Message": "CEB214Message", "CEB215Message": "CEB216Message",
	"CEB701Message": "CEB702Message",
}

// ReturnFor tells the receipt type answering a declaration type, e.g.
// ReturnFor("CEB621Message") = "CEB622Message", true.
func ReturnFor(msgType string) (string, bool) {
	r, ok := returnTypes[msgType]
	return r, ok
}

// Status is what a receipt reports about each document.
type Status struct {
	Status string    // returnStatus, e.g. "2", "120", "100", "-621004"
	Code   string    // returnInfo code, e.g. "1800"
	Desc   string    // returnInfo text, e.g. "逻辑校验通过"
	Info   string    // full returnInfo; when set, Code and Desc are ignored
	Time   time.Time // returnTime; zero means now
	Guid   string    // the receipt message's guid; empty gives a new one
}

func (s Status) info() string {
	if s.Info != "" {
		return s.Info
	}
	return FormatReturnInfo(s.Code, s.Desc)
}

// Keys holds the values identifying one declared document, by XSD element
// name: "guid", "ebpCode", "orderNo", "copNo", "logisticsNo", "preNo", …
type Keys map[string]string

// DocumentKeys returns, for each business document of m (each Order,
// Inventory, InvtCancel, …), the simple fields of its head (or of the
// document itself when it has no head).
func DocumentKeys(m Message) []Keys {
	ts := m.spec()
	if len(ts.fields) == 0 || ts.fields[0].kind != kindComplex {
		return nil
	}
	docSpec := ts.fields[0].typ
	var out []Keys
	for _, doc := range m.kids(0) {
		head, hs := doc, docSpec
		for j := range docSpec.fields {
			f := &docSpec.fields[j]
			if f.kind == kindComplex && strings.HasSuffix(f.name, "Head") {
				if ks := doc.kids(j); len(ks) > 0 {
					head, hs = ks[0], f.typ
				}
				break
			}
		}
		k := Keys{}
		for j := range hs.fields {
			if hs.fields[j].kind == kindLeaf {
				k[hs.fields[j].name] = head.get(j)
			}
		}
		out = append(out, k)
	}
	return out
}

// NewReceipt builds a receipt of type returnType (e.g. "CEB622Message")
// with one …Return element per entry of docs. Each Return takes its fields
// from the keys (its guid echoes keys["guid"], a new one if empty) and
// returnStatus, returnTime and returnInfo from st. The result still has to
// pass Encode, which validates it (e.g. CEB622 needs an 18-char preNo).
func NewReceipt(returnType string, docs []Keys, st Status) (Message, error) {
	ms, ok := messageSpecs[returnType]
	if !ok || !ms.customs || returnType == "CEB900Message" || len(ms.typ.fields) != 1 {
		return nil, fmt.Errorf("ceb receipt: %q is not a receipt type", returnType)
	}
	if len(docs) == 0 || len(docs) > 100 {
		return nil, fmt.Errorf("ceb receipt: %d documents, 1 to 100 allowed", len(docs))
	}
	t := st.Time
	if t.IsZero() {
		t = time.Now()
	}
	m := ms.newMsg()
	guid := st.Guid
	if guid == "" {
		guid = NewGuid()
	}
	*m.attr(0), *m.attr(1) = guid, "1.0"
	rs := ms.typ.fields[0].typ
	for _, k := range docs {
		r := m.child(0)
		for j := range rs.fields {
			var v string
			switch rs.fields[j].name {
			case "returnStatus":
				v = st.Status
			case "returnTime":
				v = FormatReturnTime(t)
			case "returnInfo":
				v = st.info()
			case "guid":
				if v = k["guid"]; v == "" {
					v = NewGuid()
				}
			default:
				v = k[rs.fields[j].name]
			}
			*r.leaf(j) = v
		}
	}
	return m, nil
}

// ReturnFields names, in schema order, the fields of a receipt's Return that
// NewReceipt takes from a document's keys: all but returnStatus, returnTime
// and returnInfo. Those keys and the receipt's status rebuild the receipt.
func ReturnFields(returnType string) ([]string, error) {
	ms, ok := messageSpecs[returnType]
	if !ok || !ms.customs || returnType == "CEB900Message" || len(ms.typ.fields) != 1 {
		return nil, fmt.Errorf("ceb receipt: %q is not a receipt type", returnType)
	}
	var names []string
	for _, f := range ms.typ.fields[0].typ.fields {
		switch f.name {
		case "returnStatus", "returnTime", "returnInfo":
		default:
			names = append(names, f.name)
		}
	}
	return names, nil
}

// ReceiptFor builds the receipt answering declaration m, one Return per
// document, keyed from the documents' heads. fill, if not nil, may add or
// change keys per document first (e.g. the preNo or invtNo the platform
// assigned).
func ReceiptFor(m Message, st Status, fill func(doc int, k Keys)) (Message, error) {
	rt, ok := ReturnFor(m.MessageType())
	if !ok {
		return nil, fmt.Errorf("ceb receipt: %s is not a declaration with a receipt", m.MessageType())
	}
	docs := DocumentKeys(m)
	if fill != nil {
		for i := range docs {
			fill(i, docs[i])
		}
	}
	return NewReceipt(rt, docs, st)
}

// maxOriginal bounds the copy of a rejected message kept in a CEB900.
const maxOriginal = 2 << 20

// NewCEB900 builds the format-validation receipt for a message that could
// not be parsed or failed validation. oriCopMsgId is the envelope's
// CopMsgId ("" if none), oriType the detected type ("Unknown" if none).
// The original is kept as text: invalid bytes become U+FFFD, and it is cut
// at 2 MiB. returnInfo lists the problems, [Code:0002;Desc:…] style.
func NewCEB900(oriCopMsgId, oriType string, original []byte, problems []Problem, st Status) *CEB900Message {
	if oriType == "" {
		oriType = "Unknown"
	}
	if st.Status == "" {
		st.Status = "-1"
	}
	if st.Info == "" && st.Code == "" {
		st.Code = "0002" // DXP: 数据包不能通过 schema 验证
		for _, p := range problems {
			if p.Code == CodeSyntax || p.Code == CodeEncoding || p.Code == CodeDoctype || p.Code == CodeRoot {
				st.Code = "0001" // DXP: 报文格式错误
			}
		}
		var b strings.Builder
		for _, p := range problems {
			if p.Severity != Error {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(p.Code + " " + p.Path + " " + p.Message)
		}
		st.Desc = b.String()
	}
	info := truncateRunes(sanitizeText(st.info()), 5000)
	t := st.Time
	if t.IsZero() {
		t = time.Now()
	}
	ori := original
	cut := false
	if len(ori) > maxOriginal {
		ori, cut = ori[:maxOriginal], true
	}
	text := sanitizeText(string(ori))
	if cut {
		text += "…[truncated]"
	}
	return &CEB900Message{
		Guid:    NewGuid(),
		Version: "1.0",
		MessageReturn: MessageReturn{
			Guid:           NewGuid(),
			ReturnStatus:   truncateRunes(st.Status, 10),
			ReturnInfo:     info,
			ReturnTime:     FormatReturnTime(t),
			OriCopMsgId:    truncateRunes(oriCopMsgId, 255),
			OriMessageType: truncateRunes(oriType, 15),
			OriBizMessage:  text,
		},
	}
}

// sanitizeText makes s writable as XML text: invalid UTF-8 and characters
// XML forbids become U+FFFD.
func sanitizeText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !isXMLChar(r) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// NewGuid returns a random upper-case UUID (version 4), the form the spec
// asks for guid.
func NewGuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return GuidText(b)
}

const upperHex = "0123456789ABCDEF"

// GuidText writes 16 bytes as a guid in the spec's form: upper-case hex in
// groups of 8, 4, 4, 4 and 12 digits.
func GuidText(b [16]byte) string {
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, upperHex[c>>4], upperHex[c&15])
	}
	return string(out)
}

// GuidBytes reads a guid written as GuidText writes it; false for any other
// text (lower-case digits included), so that GuidText gives back s exactly.
func GuidBytes(s string) (b [16]byte, ok bool) {
	if len(s) != 36 {
		return b, false
	}
	n := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return b, false
			}
			continue
		}
		d := strings.IndexByte(upperHex, s[i])
		if d < 0 {
			return b, false
		}
		b[n/2] |= byte(d) << (4 * (1 - n%2))
		n++
	}
	return b, true
}

package ceb

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cbec-platform/cbec/internal/errs"
)

// DxpMsg is the terminal-node envelope (namespace
// http://www.chinaport.gov.cn/dxp) that carries a business message as
// base64 in Data.
type DxpMsg struct {
	Ver       string // attribute ver, fixed "1.0"
	Id        string // optional attribute Id
	TransInfo TransInfo
	Data      []byte // the decoded business message
	AddInfo   *AddInfo
	Signature string // raw ds:Signature of the envelope, if any
}

// TransInfo routes an envelope.
type TransInfo struct {
	CopMsgId    string   // sender's message id, 1..255
	SenderId    string   // DXP id of the sender, 1..16
	ReceiverIds []string // 1..5 DXP ids
	CreatTime   string   // xs:dateTime, e.g. 2022-05-01T12:00:00
	MsgType     string   // e.g. CEB311Message
}

// AddInfo is the optional extra block of an envelope.
type AddInfo struct {
	FileName string
	IcCard   string
	BizKey   []BizKey // at most 5
	IsText   string   // Encode attribute of IsText, when HasIsText
	HasText  bool
	RecMapId string
}

// BizKey is one AddInfo/BizKey/Key.
type BizKey struct {
	Name  string
	Value string
}

// xelem is a small generic element tree, used for the envelope only.
type xelem struct {
	local, space string
	attrs        []xattr
	text         string
	kids         []*xelem
	raw          string
	line         int
}

// readTree reads the element whose start tag was just scanned.
func (d *decoder) readTree() (*xelem, bool) {
	el := &xelem{local: d.sc.local, space: d.sc.space, line: d.lineAt(d.sc.tokStart)}
	el.attrs = append(el.attrs, d.sc.attrs...)
	if el.space == nsDSig && el.local == "Signature" {
		start := d.sc.tokStart
		end, ok := d.sc.skipElement()
		if !ok {
			return nil, false
		}
		el.raw = d.sc.s[start:end]
		return el, true
	}
	var text strings.Builder
	segs := 0
	for {
		switch d.sc.next() {
		case tokStart:
			k, ok := d.readTree()
			if !ok {
				return nil, false
			}
			el.kids = append(el.kids, k)
		case tokText:
			// Keep a single segment (the base64 Data) as a substring.
			if segs == 1 {
				text.WriteString(el.text)
			}
			if segs == 0 {
				el.text = d.sc.text
			} else {
				text.WriteString(d.sc.text)
			}
			segs++
		case tokEnd:
			if segs > 1 {
				el.text = text.String()
			}
			return el, true
		default:
			return nil, false
		}
	}
}

// envField describes one child in the envelope schema.
type envField struct {
	name     string
	min, max int
	minLen   int
	maxLen   int
	kids     []envField
}

var transInfoFields = []envField{
	{name: "CopMsgId", min: 1, max: 1, minLen: 1, maxLen: 255},
	{name: "SenderId", min: 1, max: 1, minLen: 1, maxLen: 16},
	{name: "ReceiverIds", min: 1, max: 1, kids: []envField{{name: "ReceiverId", min: 1, max: 5, minLen: 1, maxLen: 16}}},
	{name: "CreatTime", min: 1, max: 1},
	{name: "MsgType", min: 1, max: 1, maxLen: 30},
}

var dxpFields = []envField{
	{name: "TransInfo", min: 1, max: 1, kids: transInfoFields},
	{name: "Data", min: 1, max: 1},
	{name: "AddInfo", min: 0, max: 1, kids: []envField{
		{name: "FileName", max: 1, minLen: 1, maxLen: 255},
		{name: "IcCard", max: 1, minLen: 1, maxLen: 13},
		{name: "BizKey", max: 1, kids: []envField{{name: "Key", min: 1, max: 5, minLen: 1, maxLen: 64}}},
		{name: "IsText", max: 1},
		{name: "RecMapId", max: 1},
	}},
	{name: "Signature", min: 0, max: 1},
}

// checkEnv validates the children of el against fields, in order.
func (d *decoder) checkEnv(el *xelem, fields []envField, path string) {
	pos := 0
	counts := make([]int, len(fields))
	for _, k := range el.kids {
		i := -1
		for j := range fields {
			if fields[j].name == k.local {
				i = j
			}
		}
		kp := path + "/" + k.local
		want := nsDXP
		if k.local == "Signature" {
			want = nsDSig
		}
		switch {
		case i < 0:
			d.addAt(Problem{Code: CodeUnknown, Path: kp, Value: k.local, Line: k.line, Rule: "envelope schema",
				Message: "element <" + k.local + "> is not allowed in <" + el.local + ">"})
			continue
		case k.space != want:
			d.addAt(Problem{Code: CodeNamespace, Path: kp, Value: k.space, Line: k.line, Rule: "namespace " + want,
				Message: "element <" + k.local + "> must be in namespace " + want})
		}
		if i < pos {
			d.addAt(Problem{Code: CodeOrder, Path: kp, Line: k.line, Rule: "envelope schema order",
				Message: "element <" + k.local + "> out of order"})
		}
		pos = i
		counts[i]++
		f := fields[i]
		if counts[i] > f.max {
			d.addAt(Problem{Code: CodeCount, Path: kp, Line: k.line, Rule: "at most " + strconv.Itoa(f.max),
				Message: "too many <" + k.local + ">"})
		}
		if f.kids != nil {
			d.checkEnv(k, f.kids, kp)
			continue
		}
		if f.minLen == 0 && f.maxLen == 0 {
			continue
		}
		n := utf8.RuneCountInString(k.text)
		if (f.minLen > 0 && n < f.minLen) || (f.maxLen > 0 && n > f.maxLen) {
			d.addAt(Problem{Code: CodeLength, Path: kp, Value: clip(k.text), Line: k.line,
				Rule:    strconv.Itoa(f.minLen) + " to " + strconv.Itoa(f.maxLen) + " characters",
				Message: k.local + " has " + strconv.Itoa(n) + " characters"})
		}
	}
	for i, f := range fields {
		if counts[i] < f.min {
			d.addAt(Problem{Code: CodeRequired, Path: path + "/" + f.name, Line: el.line, Rule: "required in <" + el.local + ">",
				Message: "required element <" + f.name + "> is missing"})
		}
	}
}

func (el *xelem) kid(name string) *xelem {
	for _, k := range el.kids {
		if k.local == name {
			return k
		}
	}
	return nil
}

func (el *xelem) attr(name string) (string, bool) {
	for _, a := range el.attrs {
		if a.prefix == "" && a.local == name {
			return a.value, true
		}
	}
	return "", false
}

func (el *xelem) kidText(name string) string {
	if k := el.kid(name); k != nil {
		return k.text
	}
	return ""
}

// envelope decodes a DxpMsg and the business message in its Data.
func (d *decoder) envelope(o options) (*Decoded, error) {
	root, ok := d.readTree()
	if !ok || d.sc.next() != tokEOF || d.sc.err != nil {
		return nil, d.fatalScan()
	}
	env := &DxpMsg{}
	env.Ver, ok = root.attr("ver")
	if !ok {
		d.addAt(Problem{Code: CodeRequired, Path: "DxpMsg/@ver", Rule: "required attribute", Message: "attribute ver is missing"})
	} else if env.Ver != "1.0" {
		d.addAt(Problem{Code: CodeFixed, Path: "DxpMsg/@ver", Value: env.Ver, Rule: "fixed value 1.0", Message: "ver must be 1.0"})
	}
	env.Id, _ = root.attr("Id")
	d.checkEnv(root, dxpFields, "DxpMsg")
	if ti := root.kid("TransInfo"); ti != nil {
		env.TransInfo = TransInfo{CopMsgId: ti.kidText("CopMsgId"), SenderId: ti.kidText("SenderId"),
			CreatTime: ti.kidText("CreatTime"), MsgType: ti.kidText("MsgType")}
		if ids := ti.kid("ReceiverIds"); ids != nil {
			for _, k := range ids.kids {
				env.TransInfo.ReceiverIds = append(env.TransInfo.ReceiverIds, k.text)
			}
		}
		if ct := env.TransInfo.CreatTime; ti.kid("CreatTime") != nil && !isXSDateTime(ct) {
			d.addAt(Problem{Code: CodeDateTime, Path: "DxpMsg/TransInfo/CreatTime", Value: clip(ct), Rule: "xs:dateTime, e.g. 2022-05-01T12:00:00",
				Message: "CreatTime is not an xs:dateTime"})
		}
	}
	if ai := root.kid("AddInfo"); ai != nil {
		a := &AddInfo{FileName: ai.kidText("FileName"), IcCard: ai.kidText("IcCard"), RecMapId: ai.kidText("RecMapId")}
		if bk := ai.kid("BizKey"); bk != nil {
			for _, k := range bk.kids {
				n, _ := k.attr("name")
				a.BizKey = append(a.BizKey, BizKey{Name: n, Value: k.text})
			}
		}
		if it := ai.kid("IsText"); it != nil {
			a.IsText, a.HasText = it.attrOrEmpty("Encode"), true
		}
		env.AddInfo = a
	}
	if s := root.kid("Signature"); s != nil {
		env.Signature = s.raw
	}
	envProbs := append([]Problem(nil), d.probs...)
	data := root.kid("Data")
	if data == nil {
		return nil, &ValidationError{Op: "decode", Problems: envProbs}
	}
	payload, err := base64.StdEncoding.DecodeString(stripSpace(data.text))
	if err != nil {
		envProbs = append(envProbs, Problem{Code: CodeEnvelope, Path: "DxpMsg/Data", Line: data.line, Rule: "base64 of the business message",
			Message: "Data is not valid base64: " + err.Error()})
		return nil, &ValidationError{Op: "decode", Problems: envProbs}
	}
	env.Data = payload
	o.inEnvelope = true
	inner, err := decodeWith(payload, o)
	if err != nil {
		if ve, ok := err.(*ValidationError); ok {
			return nil, &ValidationError{Op: "decode", Problems: append(envProbs, ve.Problems...)}
		}
		return nil, fmt.Errorf("decode DxpMsg payload: %w", err)
	}
	if mt := env.TransInfo.MsgType; mt != "" && mt != inner.Type {
		envProbs = append(envProbs, Problem{Code: CodeEnvelope, Severity: Warning, Path: "DxpMsg/TransInfo/MsgType", Value: mt,
			Rule: "MsgType names the message in Data", Message: "MsgType " + mt + " but Data holds " + inner.Type})
	}
	inner.Problems = append(envProbs, inner.Problems...)
	inner.Envelope = env
	return inner, nil
}

func (el *xelem) attrOrEmpty(name string) string {
	v, _ := el.attr(name)
	return v
}

// stripSpace removes the whitespace base64Binary allows. The base64
// decoder skips line ends itself, so only blanks and tabs force a copy.
func stripSpace(s string) string {
	if strings.IndexByte(s, ' ') < 0 && strings.IndexByte(s, '\t') < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// isXSDateTime accepts yyyy-mm-ddThh:mm:ss with optional fraction and zone.
func isXSDateTime(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 19 {
		return false
	}
	base, rest := s[:19], s[19:]
	if _, err := time.Parse("2006-01-02T15:04:05", base); err != nil {
		return false
	}
	if strings.HasPrefix(rest, ".") {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	switch {
	case rest == "" || rest == "Z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-'):
		_, err := time.Parse("15:04", rest[1:])
		return err == nil
	}
	return false
}

// EncodeDxp writes an envelope; Data is base64-encoded. Missing Ver and
// CreatTime are filled with "1.0" and the current China time.
func EncodeDxp(env *DxpMsg) ([]byte, error) {
	ti := env.TransInfo
	if ti.CopMsgId == "" || ti.SenderId == "" || len(ti.ReceiverIds) == 0 {
		return nil, fmt.Errorf("ceb encode DxpMsg: CopMsgId, SenderId and at least one ReceiverId are required")
	}
	if len(ti.ReceiverIds) > 5 {
		return nil, fmt.Errorf("ceb encode DxpMsg: %d receivers, at most 5 allowed", len(ti.ReceiverIds))
	}
	if ti.CreatTime == "" {
		ti.CreatTime = time.Now().In(chinaTime).Format("2006-01-02T15:04:05")
	}
	e := &encoder{buf: make([]byte, 0, 256+len(env.Data)*4/3)}
	e.buf = append(e.buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DxpMsg ver="1.0"`...)
	if env.Id != "" {
		e.buf = append(e.buf, ` Id="`...)
		e.text("@Id", env.Id, true)
		e.buf = append(e.buf, '"')
	}
	e.buf = append(e.buf, ` xmlns="`+nsDXP+`"`...)
	if env.Signature != "" && !strings.Contains(env.Signature[:strings.IndexByte(env.Signature+">", '>')], "xmlns") {
		e.buf = append(e.buf, ` xmlns:ds="`+nsDSig+`"`...)
	}
	e.buf = append(e.buf, '>')
	e.open("TransInfo")
	e.leaf("CopMsgId", ti.CopMsgId, true)
	e.leaf("SenderId", ti.SenderId, true)
	e.open("ReceiverIds")
	for _, r := range ti.ReceiverIds {
		e.leaf("ReceiverId", r, true)
	}
	e.close("ReceiverIds")
	e.leaf("CreatTime", ti.CreatTime, true)
	e.leaf("MsgType", ti.MsgType, true)
	e.close("TransInfo")
	e.open("Data")
	e.buf = base64.StdEncoding.AppendEncode(e.buf, env.Data)
	e.close("Data")
	if a := env.AddInfo; a != nil {
		e.open("AddInfo")
		e.leaf("FileName", a.FileName, false)
		e.leaf("IcCard", a.IcCard, false)
		if len(a.BizKey) > 0 {
			e.open("BizKey")
			for _, k := range a.BizKey {
				e.buf = append(e.buf, `<Key name="`...)
				e.text("@name", k.Name, true)
				e.buf = append(e.buf, `">`...)
				e.text("Key", k.Value, false)
				e.close("Key")
			}
			e.close("BizKey")
		}
		if a.HasText {
			e.buf = append(e.buf, `<IsText Encode="`...)
			e.text("@Encode", a.IsText, true)
			e.buf = append(e.buf, `"/>`...)
		}
		e.leaf("RecMapId", a.RecMapId, false)
		e.close("AddInfo")
	}
	e.raw(env.Signature)
	e.close("DxpMsg")
	if e.err != nil {
		return nil, e.err
	}
	return e.buf, nil
}

// WrapDxp encodes m (validated, see Encode) and puts it in a DxpMsg with the
// routing ti; MsgType defaults to m's type.
func WrapDxp(m Message, ti TransInfo) (_ []byte, err error) {
	defer errs.Wrap(&err, "ceb.WrapDxp(%s)", m.MessageType())
	body, err := Encode(m)
	if err != nil {
		return nil, err
	}
	if ti.MsgType == "" {
		ti.MsgType = m.MessageType()
	}
	return EncodeDxp(&DxpMsg{Ver: "1.0", TransInfo: ti, Data: body})
}

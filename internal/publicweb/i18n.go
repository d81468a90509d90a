package publicweb

import "github.com/cbec-platform/cbec/internal/refdata"

// words holds every text of the pages in Chinese (the default) and English.
var words = map[string][2]string{
	"site":                      {"跨境电商公共服务平台", "Cross-border e-commerce public service"},
	"skip":                      {"跳到正文", "Skip to content"},
	"nav":                       {"主导航", "Main navigation"},
	"home":                      {"首页", "Home"},
	"recalls":                   {"召回公告", "Recalls"},
	"warnings":                  {"风险预警", "Risk warnings"},
	"policies":                  {"政策法规", "Policies"},
	"credit":                    {"企业信用", "Enterprise credit"},
	"quota":                     {"额度查询", "Quota"},
	"otherlang":                 {"English", "中文"},
	"otherlangcode":             {"en", "zh"},
	"lookup.title":              {"溯源码查询", "Traceability code lookup"},
	"lookup.intro":              {"每件跨境进口商品都有一个溯源服务码。扫描包装上的二维码，或在下面输入码。", "Every cross-border import carries a traceability service code. Scan the QR code on its package or type the code below."},
	"lookup.label":              {"溯源码（18位）", "Code (18 characters)"},
	"lookup.hint":               {"不区分大小写，可带短横线", "Case does not matter; dashes are fine"},
	"lookup.go":                 {"查询", "Look up"},
	"genuine":                   {"正品溯源码", "Genuine code"},
	"genuine.sub":               {"本商品经海关跨境电商监管放行", "Released under customs cross-border e-commerce supervision"},
	"fake":                      {"不是真实的溯源码", "Not a genuine code"},
	"fake.body":                 {"平台上没有这个码。它可能是伪造的，或者不是本平台签发的。请勿相信该标签，可向购买平台或海关 12360 热线反映。", "This code does not exist on the platform. It may be forged or not issued here. Do not trust the label; report it to the seller's platform or the customs hotline 12360."},
	"typo":                      {"这个码好像输错了", "This code looks mistyped"},
	"typo.body":                 {"码的校验位不符，多半是抄错了一个字符。请对照标签重新输入（码中没有 0、1、I、L、O）。", "Its check character does not match: most likely one character was copied wrong. Type it again from the label (codes never contain 0, 1, I, L or O)."},
	"product":                   {"商品", "Product"},
	"brand":                     {"品牌", "Brand"},
	"origin":                    {"原产国（地区）", "Country of origin"},
	"seller":                    {"电商企业", "E-commerce enterprise"},
	"port":                      {"入境口岸", "Port of entry"},
	"released":                  {"放行日期", "Released on"},
	"inspection":                {"查验结果", "Inspection"},
	"inspected":                 {"经海关查验合格后放行", "Inspected by customs and released"},
	"notinspected":              {"系统审核通过，未被抽中查验", "Passed the checks; not selected for inspection"},
	"batch":                     {"批次", "Batch"},
	"producedon":                {"生产日期", "Production date"},
	"gtin":                      {"商品条码", "GTIN"},
	"hs":                        {"商品编码", "HS code"},
	"state":                     {"当前状态", "Status"},
	"state.released":            {"已放行", "Released"},
	"state.exited":              {"已出区配送", "Left the zone for delivery"},
	"state.returned":            {"已退货", "Returned"},
	"piece":                     {"件号", "Piece"},
	"recall.alert":              {"本商品已被召回", "This product is recalled"},
	"warning.alert":             {"本商品有风险预警", "Risk warning for this product"},
	"advice":                    {"建议", "Advice"},
	"reason":                    {"原因", "Reason"},
	"risk":                      {"风险等级", "Risk level"},
	"risk.low":                  {"低", "Low"},
	"risk.medium":               {"中", "Medium"},
	"risk.high":                 {"高", "High"},
	"lab":                       {"检测结果", "Lab test results"},
	"lab.passed":                {"合格", "Passed"},
	"lab.failed":                {"不合格", "Failed"},
	"lab.none":                  {"暂无检测记录", "No lab tests on record"},
	"lab.item":                  {"检测项目", "Test item"},
	"lab.value":                 {"结果", "Result"},
	"lab.standard":              {"标准", "Standard"},
	"productpage":               {"商品信息页", "Product page"},
	"privacy":                   {"本页不显示任何购买人个人信息。", "This page never shows the buyer's personal data."},
	"none":                      {"暂无", "None"},
	"published":                 {"发布时间", "Published"},
	"status.active":             {"召回中", "In progress"},
	"status.closed":             {"已结束", "Closed"},
	"pieces":                    {"涉及件数", "Pieces"},
	"recall.scope":              {"召回范围", "Scope"},
	"feeds":                     {"订阅", "Subscribe"},
	"credit.intro":              {"海关企业信用等级（海关总署令第282号）与市场监管名录。仅列出高级认证企业和受信用惩戒或列入名录的企业。", "Customs credit classes (Order 282) and market-regulator lists. Only AEO enterprises and those sanctioned or listed are shown."},
	"credit.code":               {"海关编码", "Customs code"},
	"credit.name":               {"企业名称", "Enterprise"},
	"credit.class":              {"信用等级", "Credit class"},
	"credit.lists":              {"名录", "Lists"},
	"class.advanced":            {"高级认证", "Advanced (AEO)"},
	"class.certified":           {"认证", "Certified"},
	"class.general":             {"一般信用", "General"},
	"class.dishonest":           {"失信", "Dishonest"},
	"class.seriously_dishonest": {"严重失信", "Seriously dishonest"},
	"list.abnormal":             {"经营异常名录", "Abnormal operations list"},
	"list.serious":              {"严重违法失信名单", "Serious violation list"},
	"quota.intro":               {"跨境电商零售进口个人年度交易限值为人民币 26,000 元。输入姓名和身份证号查询本年度已用和剩余额度。信息仅用于本次查询，不会保存。", "Each person may buy up to 26,000 CNY of cross-border retail imports a year. Enter your name and ID number to see what is used and left this year. They are used for this query only and not stored."},
	"quota.name":                {"姓名", "Name"},
	"quota.id":                  {"身份证号码", "Resident ID number"},
	"quota.year":                {"年度", "Year"},
	"quota.go":                  {"查询额度", "Check quota"},
	"quota.used":                {"已用额度", "Used"},
	"quota.remaining":           {"剩余额度", "Remaining"},
	"quota.limit":               {"年度限值", "Yearly limit"},
	"quota.errors":              {"请更正以下问题：", "Please correct the following:"},
	"home.latest":               {"最新召回与预警", "Latest recalls and warnings"},
	"toomany":                   {"查询过于频繁", "Too many lookups"},
	"toomany.body":              {"请稍候再试。", "Please wait a moment and try again."},
	"notfound":                  {"页面不存在", "Page not found"},
	"error":                     {"服务暂时不可用", "Service temporarily unavailable"},
	"error.body":                {"请稍后再试。", "Please try again later."},
	"cny":                       {"元", "CNY"},
	"policy.source":             {"来源", "Source"},
}

// tr returns the text of key in lang ("zh" or "en").
func tr(lang, key string) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

func countryName(lang, code string) string {
	c, ok := refdata.Countries.Lookup(code)
	if !ok {
		return code
	}
	if lang == "en" {
		return c.En + " (" + code + ")"
	}
	return c.Zh + "（" + code + "）"
}

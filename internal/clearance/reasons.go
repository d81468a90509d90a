package clearance

import (
	"fmt"
	"strings"

	"github.com/cbec-platform/cbec/internal/ceb"
)

// Reason is a stable machine code with its Chinese and English text. The code
// starts every receipt's returnInfo, e.g. [Code:1332;Desc:…].
type Reason struct {
	Code    string
	Zh, En  string
	Meaning string // what it means and how to fix it, for docs/reasons.md
}

// Reasons is the table of every code the clearance pipeline issues. Codes that
// real customs receipts use (1800, 2600, 1332, 1313 …) keep their numbers.
var Reasons = []Reason{
	{"1800", "逻辑校验通过", "accepted", "the document is stored and checked; an inventory waits for the decision that follows"},
	{"1801", "等待关联单证", "awaiting documents", "the inventory waits for its order, payment or waybill (named); it is rejected with 1301 if they do not arrive in time (rules.document_wait)"},
	{"2600", "放行", "released", "every check passed; the parcel may leave"},
	{"2500", "布控查验", "selected for inspection", "chosen by the random inspection rate of the e-commerce enterprise's credit class (the dishonest rate while it is on the abnormal operations list); an officer inspects and records the result"},
	{"1200", "待人工审核", "held for manual review", "a rule needs an officer's look (named goods or exclusions of the positive list); an officer approves or rejects"},
	{"1101", "单证重复申报", "duplicate declaration", "appType 1 for a document that exists with other content; send appType 2 to modify it"},
	{"1102", "变更或删除的单证不存在", "document to modify or delete does not exist", "appType 2 or 3 for a document never declared; send appType 1"},
	{"1103", "报送类型错误", "wrong appType", "appType must be 1 (new), 2 (modify) or 3 (delete)"},
	{"22007", "对应清单已放行，不允许变更", "the inventory is released; no change allowed", "after release a document cannot be modified or deleted; apply for a cancel (CEB623) or return (CEB625)"},
	{"1105", "清单状态不允许变更", "the inventory's state does not allow a change", "an inventory under manual review (300) or inspection (500) cannot be modified or deleted, nor can its order, payment or waybill; wait for the officer's decision"},
	{"1106", "非单证所有人", "not the document's owner", "appType 1, 2 or 3 for a document another enterprise sent first: only its owner, or a provider the owner authorised, may send it again, modify or delete it (rules §12); nothing was changed"},
	{"1107", "支付企业与订单不符", "payment firm not named by the order", "the order names another payment firm (OrderHead.payCode); only that firm may send the payment (rules §12)"},
	{"1108", "申报企业未获委托", "declaring agent not entrusted", "an inventory is sent by its agentCode, which the ebcCode must have entrusted (POST /api/v1/entrustments) or be itself with the agent role (rules §12)"},
	{"1109", "担保企业非清单申报、电商或物流企业", "guarantor not a party of the inventory", "an inventory of a guarantee trade mode (rules.guarantee_trade_modes, 1210) names as assureCode its agentCode, ebcCode or logisticsCode (CEB621 spec); the platform only when it is the ebcCode; another enterprise's guarantee is never debited for it (rules §12); nothing was stored"},
	{"1104", "已删除的单证", "document deleted", "the document was deleted (appType 3); declare it anew with appType 1"},
	{"1301", "关联单证未到，超时退单", "documents missing: waited too long", "the order, payment or waybill (named) did not arrive within rules.document_wait"},
	{"1310", "订单实付金额不平", "order's actual paid does not balance", "acturalPaid must equal goodsValue + freight + taxTotal − discount"},
	{"1311", "订单商品总价不等于单价乘数量", "order line total is not price × qty", "each OrderList totalPrice must equal price × qty within 0.01"},
	{"1312", "订单货值与表体总价合计不符", "order goods value differs from the sum of its lines", "goodsValue must equal Σ OrderList totalPrice within 0.01"},
	{"1332", "支付单支付金额与订单实付金额不一致", "payment amount differs from the order's actual paid", "PaymentHead.amountPaid must equal OrderHead.acturalPaid"},
	{"1327", "订单订购人与支付单支付人不一致", "order buyer differs from the payment's payer", "the buyer must be the payer (name and ID number) unless the platform is in direct-connect mode"},
	{"13035", "支付企业不一致", "payment enterprise differs", "the order's payCode must be the payment's payCode"},
	{"1340", "运单收货人信息与订单不一致", "waybill consignee differs from the order", "consignee name, phone and address must agree between order and waybill"},
	{"1341", "运单与订单不对应", "waybill does not belong to the order", "the waybill's orderNo must be the inventory's orderNo"},
	{"1342", "签收的运单不存在", "signed for an unknown waybill", "a waybill status (CEB513, S: signed for) names a logisticsCode and logisticsNo never declared with a waybill (CEB511); declare the waybill first"},
	{"1343", "清单未放行，不能签收", "signed for before release", "a parcel can be signed for (CEB513 S) only once its inventory is released (800); one held for review (300), in inspection (500), waiting (120) or rejected has not left customs' control"},
	{"1320", "清单表体商品项与订单表体商品项的项数不一致", "inventory and order have different numbers of lines", "the inventory must list the order's lines one for one"},
	{"1322", "清单与订单表体商品项不一致", "inventory line differs from the order line", "gnum, itemNo, qty and price must agree line by line"},
	{"1323", "清单与订单金额不一致", "inventory totals differ from the order", "Σ inventory totalPrice must equal the order's goodsValue, and freight must agree"},
	{"13127", "清单订购人与订单订购人不一致", "inventory buyer differs from the order's buyer", "buyer name, ID number and phone must agree between inventory and order"},
	{"1300", "订购人身份证号码有误", "buyer's ID number is invalid", "buyerIdNumber must be an 18-character resident ID with a valid GB 11643 check character and birth date"},
	{"1305", "订购人证件类型错误", "buyer's ID type is wrong", "buyerIdType must be 1 (resident ID card)"},
	{"22001", "企业未备案", "enterprise not registered", "every enterprise code of the inventory must be registered on the platform"},
	{"22002", "企业不具备相应资质", "enterprise lacks the role", "the enterprise named in this field must hold the matching role (ebp, ebc, logistics, agent, assure)"},
	{"22003", "企业已停用", "enterprise disabled", "the enterprise is disabled on the platform"},
	{"22004", "企业受信用惩戒，不予受理", "enterprise under credit sanction", "seriously dishonest or serious-violation-list enterprises cannot have documents accepted"},
	{"1314", "超过单次交易限值", "over the single-transaction limit", "the dutiable value exceeds rules.single_limit (5,000 CNY) and is not a single indivisible item"},
	{"1313", "订购人购买超过年度限额", "over the buyer's annual limit", "the buyer's released, not returned purchases this year plus this one exceed rules.annual_limit (26,000 CNY)"},
	{"1315", "超过个人年度购买数量限制", "over the per-person yearly quantity cap", "the positive list caps this goods' yearly quantity per person"},
	{"1350", "商品未备案", "product not filed", "the e-commerce enterprise must file the product (itemNo) before declaring it"},
	{"1354", "商品编码与备案不一致", "HS code differs from the product filing", "InventoryList.gcode must be the HS code of the filing"},
	{"1351", "商品不在跨境电商零售进口商品清单内", "goods not on the positive list", "the HS code must be on the positive list"},
	{"1352", "禁止或暂停进口商品", "prohibited or suspended goods", "the goods match the negative list"},
	{"1353", "仅限网购保税进口", "bonded import only", "the positive list allows these goods under 1210 only, not 9610"},
	{"1361", "税则缺失", "no tariff for the HS code", "the tariff table has no row for the HS code; the operator loads it"},
	{"1360", "申报税款与计算税款不一致", "declared tax differs from the computed tax", "the order's taxTotal must equal the platform's computed tax within 0.01"},
	{"1362", "计税失败", "tax cannot be computed", "a quantity or unit the tariff needs is missing or not convertible"},
	{"1390", "与原清单不符", "inventory identity changed", "a modification cannot change the inventory's order, platform or waybill"},
	{"1370", "账册或料号不存在", "account-book item not found", "a 1210 inventory's lines need emsNo and itemRecordNo naming an item of an account book on the platform"},
	{"1371", "账册库存不足", "not enough account-book stock", "the item's available stock (in stock minus reserved by accepted inventories) is less than the line's qty; enter goods into the zone first"},
	{"1372", "担保额度不足", "tax guarantee insufficient", "the guarantor (assureCode) has no guarantee or its balance is below the inventory's tax; the inventory waits in review (300) until the guarantor lodges more"},
	{"1373", "担保企业税单逾期未缴", "guarantor has an overdue tax bill", "a tax bill of the guarantor is past its due date; its new releases wait in review (300) until the bill is paid"},
	{"1374", "账册料号非本电商企业", "account-book item of another e-commerce enterprise", "a 1210 inventory takes stock only from account-book items opened for its ebcCode (rules §12); another enterprise's stock is not touched"},
	{"1375", "担保清单商品数量小数位过多", "guaranteed quantity has more than three decimals", "an inventory of a guarantee trade mode (rules.guarantee_trade_modes) other than 1210 may declare qty with at most three decimals, since the guarantee gives tax back on returns by thousandths of a line's quantity; the detail names the line; declare it anew with the quantity in a unit that needs three decimals at most; nothing was debited"},
	{"1380", "原清单不存在", "inventory to cancel or return not found", "invtNo and orderNo must name an inventory declared by the agentCode (or ebcCode) of the cancel or return"},
	{"1381", "已生成电子税单", "the tax is already billed", "a cancel after release (or a return) is possible only before the inventory is on a tax bill (rules §7)"},
	{"1382", "清单状态不允许撤销或退货", "the inventory's state does not allow this", "a cancel needs an inventory not rejected or closed, without a return; a return needs a released inventory; the detail names the state"},
	{"1383", "超过退货申请期限", "return applied for too late", "a return is applied for within rules.return_apply_days (30) of release"},
	{"1384", "退货商品项不符", "return lines do not match the inventory", "each InvtRefundList gnum and gcode must be a line of the inventory, and qty at most what is not yet returned"},
	{"1385", "退货未按期入区", "returned goods did not arrive in time", "the goods must arrive back in the zone within rules.return_arrive_days (45) of release, recorded by the zone operator"},
	{"1386", "入区申报不符", "zone entry refused", "a CEB711 needs an ExtendMessage BondedEntry naming the account book and items, or a tally whose number is its copNo; the detail names the field"},
	{"2710", "撤销成功", "cancelled", "the inventory is withdrawn and closed (899); the buyer's quota, the stock and the guarantee are given back"},
	{"2711", "退货已入区", "return arrived", "the returned goods are back in the zone: their tax is not levied, the buyer's quota and the stock are restored"},
	{"2310", "召回商品暂停放行", "held: the product is under recall", "a goods line matches an active recall (product filing or GTIN); an officer reviews it, and closing the recall lifts the hold for later inventories"},
	{"2311", "检测不合格商品暂停放行", "held: the product failed a lab test", "a goods line matches a product hold raised by a failed online lab test; an officer reviews it, and lifting the hold ends it for later inventories"},
	{"2700", "商品召回通知", "product recall notice", "not a decision: a RecallNotice in the feed, returnStatus 120, while the inventory stays released; its goods are recalled (recall id, pieces and advice named); contact the buyers and record returned pieces"},
	// Export (rules §11).
	{"1401", "等待运抵", "awaiting arrival", "the export inventory matches its documents and is released when the arrival at the exit port (CEB507) names its waybill"},
	{"1402", "出口订单金额不平", "export order does not add up", "each OrderList totalPrice must be price × qty and goodsValue Σ totalPrice, within 0.01"},
	{"1403", "收款金额与订单不一致", "receipt of payment differs from the order", "Receipts.charge must equal the order's goodsValue + freight, in the order's currency"},
	{"1404", "清单与订单不一致", "export inventory differs from the order", "the inventory's ebcCode, currency and lines (gnum, itemNo, qty, price, totalPrice) must be the order's"},
	{"1405", "清单与运单不一致", "export inventory differs from the waybill", "the waybill (CEB505) named by logisticsCode and logisticsNo must carry the inventory's ebcCode when it names one"},
	{"1406", "禁止出口商品", "export-prohibited goods", "a line's HS code is under a prefix of rules.export.prohibited_hs"},
	{"1407", "申报业务类型不符", "statisticsFlag does not fit", "A (simplified) allows no licence and, for 9710/9810, at most rules.export.simplified_limit CNY; B (summary) needs 10-digit HS codes"},
	{"1408", "海外仓未备案", "overseas warehouse not filed", "a 9810 inventory needs an overseas warehouse of its ebcCode filed for the destination country"},
	{"1409", "出口贸易方式或进出口标志错误", "not an export trade mode", "tradeMode must be 9610, 9710 or 9810 and ieFlag E"},
	{"1411", "离境单不符", "departure refused", "a departure (CEB509) names waybills of released export inventories; one not yet released (no arrival) or unknown is refused"},
	{"1412", "运抵单不符", "arrival refused", "an arrival (CEB507) names waybills declared with CEB505"},
	{"1413", "出口清单状态不允许撤销", "the export inventory cannot be cancelled", "a cancel (CEB605) needs an inventory of the agent that has not departed and is not in a summary declaration"},
	{"1414", "汇总申请不符", "summary application refused", "a CEB701 lists released B inventories of its ebcCode not yet summarized; the detail names the first that is not"},
	{"1415", "超过退货免税期限", "export return outside the window", "goods released within rules.export.return_policy_from … until and returned within rules.export.return_months of release"},
	{"1416", "食品不适用退货免税", "food is excluded from the return exemption", "a returned line's HS code is under rules.export.food_hs"},
	{"1417", "退货商品与原清单不符", "export return lines do not match", "each returned line's gcode must be on the original export inventory, in at most its quantity, and the inventory must be released"},
	{"1419", "出口查验不合格", "export failed inspection", "an officer inspected the export (selected by the credit-class rate, 500) and found it does not match its declaration; the note says what"},
	{"1418", "理货单不符", "return tally refused", "a CEB215 names a return applied for (coElNo or logisticsNo) and not yet tallied"},
	{"2801", "已离境结关", "departed: closed", "the goods left the country (CEB509); the export inventory is closed (899)"},
	{"2802", "出口清单撤销成功", "export inventory cancelled", "the export inventory is withdrawn and closed (899); it enters no summary declaration"},
	{"2803", "汇总完成", "summarized", "the lists are merged into summary declarations (CEB792 follows for each)"},
	{"2804", "退货免税已登记", "export return accepted, exemption recorded", "import duty, VAT and consumption tax are exempt for the returned lines; the tally (CEB215) follows on arrival"},
	{"2805", "退货已理货", "export return tallied", "the returned goods arrived and were tallied"},
	// Risk, emergency measures, officers' decisions (rules §9).
	{"1500", "风险规则退单", "rejected by a risk rule", "a risk rule with action reject matched; the detail names the rule by id and version, never its text"},
	{"1501", "风险应急措施退单", "rejected under an emergency measure", "the goods or an enterprise fall under an emergency measure converted to rejection; the detail names the measure"},
	{"1502", "人工审核退单", "rejected by an officer", "an officer rejected the inventory after review or inspection; the detail gives the reason"},
	{"2410", "风险规则布控待人工审核", "held by a risk rule for manual review", "a risk rule with action review matched (rule id and version named); an officer approves or rejects"},
	{"2411", "风险规则布控查验", "selected for inspection by a risk rule", "a risk rule with action inspect matched (rule id and version named); an officer inspects and records the result"},
	{"2412", "风险评分超过阈值", "risk score over the threshold", "score rules matched and their points reached the risk score threshold; an officer reviews the inventory"},
	{"2420", "风险应急措施暂停放行", "held under an emergency measure", "the goods or an enterprise fall under an emergency measure (named); the inventory waits until the measure is lifted or it is rejected"},
	{"2421", "应急措施解除，重新审核", "emergency measure lifted: judged again", "the measure that held the inventory was lifted; it goes back to judgement and is decided anew"},
	{"2601", "人工审核放行", "released by an officer", "an officer released the inventory after review or inspection"},
	{"2510", "查验处理", "inspection result recorded", "an officer recorded the inspection result (501–599: detained, returned, seized …); the detail gives the reason"},
}

var reasonByCode = func() map[string]Reason {
	m := make(map[string]Reason, len(Reasons))
	for _, r := range Reasons {
		m[r.Code] = r
	}
	return m
}()

// ReasonOf returns the reason of a code. A code missing from the table is a
// programming error that TestEveryCodeUsedIsInTheTable catches; at run time it
// still yields a usable receipt rather than stopping the writer.
func ReasonOf(code string) Reason {
	if r, ok := reasonByCode[code]; ok {
		return r
	}
	return Reason{Code: code, Zh: "未登记的原因", En: "unlisted reason"}
}

// Finding is a reason with the details of one case: the fields and values involved.
type Finding struct {
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// Info formats the finding as a receipt's returnInfo: the code, the Chinese
// and English text, and the details, e.g.
// [Code:1332;Desc:支付单支付金额与订单实付金额不一致 / payment amount differs …: PaymentHead.amountPaid=561.89, OrderHead.acturalPaid=3197.95]
func (f Finding) Info() string {
	r := ReasonOf(f.Code)
	desc := r.Zh + " / " + r.En
	if f.Detail != "" {
		desc += ": " + f.Detail
	}
	return ceb.FormatReturnInfo(r.Code, desc)
}

func find(code, format string, args ...any) *Finding {
	return &Finding{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// missingList names the missing documents for 1801 and 1301.
func missingList(order, payment, waybill bool) string {
	var m []string
	if !order {
		m = append(m, "order (CEB311)")
	}
	if !payment {
		m = append(m, "payment (CEB411)")
	}
	if !waybill {
		m = append(m, "waybill (CEB511)")
	}
	return strings.Join(m, ", ")
}

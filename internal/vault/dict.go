package vault

// cebDict1 primes the compressor of sealed messages (format 1, see
// compress.go and package dictflate): an order, a payment, a waybill and an inventory message as
// the platform receives them, values and ids emptied, so that a message's
// element names, namespaces and signature block cost next to nothing. It
// never changes: sealed data depends on it for as long as it is kept. A
// better dictionary gets a new format byte.
const cebDict1 = `<?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB511Message guid="" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:Logistics><ceb:LogisticsHead><ceb:guid></ceb:guid><ceb:appType></ceb:appType><ceb:appTime></ceb:appTime><ceb:appStatus></ceb:appStatus><ceb:logisticsCode></ceb:logisticsCode><ceb:logisticsName></ceb:logisticsName><ceb:logisticsNo></ceb:logisticsNo><ceb:billNo></ceb:billNo><ceb:orderNo></ceb:orderNo><ceb:freight></ceb:freight><ceb:insuredFee></ceb:insuredFee><ceb:currency></ceb:currency><ceb:weight></ceb:weight><ceb:packNo></ceb:packNo><ceb:goodsInfo></ceb:goodsInfo><ceb:consignee></ceb:consignee><ceb:consigneeAddress></ceb:consigneeAddress><ceb:consigneeTelephone></ceb:consigneeTelephone></ceb:LogisticsHead></ceb:Logistics><ceb:BaseTransfer><ceb:copCode></ceb:copCode><ceb:copName></ceb:copName><ceb:dxpMode></ceb:dxpMode><ceb:dxpId></ceb:dxpId></ceb:BaseTransfer></ceb:CEB511Message><?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB411Message guid="" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:Payment><ceb:PaymentHead><ceb:guid></ceb:guid><ceb:appType></ceb:appType><ceb:appTime></ceb:appTime><ceb:appStatus></ceb:appStatus><ceb:payCode></ceb:payCode><ceb:payName></ceb:payName><ceb:payTransactionId></ceb:payTransactionId><ceb:orderNo></ceb:orderNo><ceb:ebpCode></ceb:ebpCode><ceb:ebpName></ceb:ebpName><ceb:payerIdType></ceb:payerIdType><ceb:payerIdNumber></ceb:payerIdNumber><ceb:payerName></ceb:payerName><ceb:telephone></ceb:telephone><ceb:amountPaid></ceb:amountPaid><ceb:currency></ceb:currency><ceb:payTime></ceb:payTime></ceb:PaymentHead></ceb:Payment><ceb:BaseTransfer><ceb:copCode></ceb:copCode><ceb:copName></ceb:copName><ceb:dxpMode></ceb:dxpMode><ceb:dxpId></ceb:dxpId></ceb:BaseTransfer></ceb:CEB411Message><?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB311Message guid="" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:Order><ceb:OrderHead><ceb:guid></ceb:guid><ceb:appType></ceb:appType><ceb:appTime></ceb:appTime><ceb:appStatus></ceb:appStatus><ceb:orderType></ceb:orderType><ceb:orderNo></ceb:orderNo><ceb:ebpCode></ceb:ebpCode><ceb:ebpName></ceb:ebpName><ceb:ebcCode></ceb:ebcCode><ceb:ebcName></ceb:ebcName><ceb:goodsValue></ceb:goodsValue><ceb:freight></ceb:freight><ceb:discount></ceb:discount><ceb:taxTotal></ceb:taxTotal><ceb:acturalPaid></ceb:acturalPaid><ceb:currency></ceb:currency><ceb:buyerRegNo></ceb:buyerRegNo><ceb:buyerName></ceb:buyerName><ceb:buyerTelephone></ceb:buyerTelephone><ceb:buyerIdType></ceb:buyerIdType><ceb:buyerIdNumber></ceb:buyerIdNumber><ceb:payCode></ceb:payCode><ceb:payName></ceb:payName><ceb:payTransactionId></ceb:payTransactionId><ceb:consignee></ceb:consignee><ceb:consigneeTelephone></ceb:consigneeTelephone><ceb:consigneeAddress></ceb:consigneeAddress><ceb:consigneeDistrict></ceb:consigneeDistrict></ceb:OrderHead><ceb:OrderList><ceb:gnum></ceb:gnum><ceb:itemNo></ceb:itemNo><ceb:itemName></ceb:itemName><ceb:gmodel></ceb:gmodel><ceb:barCode></ceb:barCode><ceb:unit></ceb:unit><ceb:qty></ceb:qty><ceb:price></ceb:price><ceb:totalPrice></ceb:totalPrice><ceb:currency></ceb:currency><ceb:country></ceb:country></ceb:OrderList></ceb:Order><ceb:BaseTransfer><ceb:copCode></ceb:copCode><ceb:copName></ceb:copName><ceb:dxpMode></ceb:dxpMode><ceb:dxpId></ceb:dxpId></ceb:BaseTransfer></ceb:CEB311Message><?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB621Message guid="" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:Inventory><ceb:InventoryHead><ceb:guid></ceb:guid><ceb:appType></ceb:appType><ceb:appTime></ceb:appTime><ceb:appStatus></ceb:appStatus><ceb:orderNo></ceb:orderNo><ceb:ebpCode></ceb:ebpCode><ceb:ebpName></ceb:ebpName><ceb:ebcCode></ceb:ebcCode><ceb:ebcName></ceb:ebcName><ceb:logisticsNo></ceb:logisticsNo><ceb:logisticsCode></ceb:logisticsCode><ceb:logisticsName></ceb:logisticsName><ceb:copNo></ceb:copNo><ceb:assureCode></ceb:assureCode><ceb:ieFlag></ceb:ieFlag><ceb:declTime></ceb:declTime><ceb:customsCode></ceb:customsCode><ceb:portCode></ceb:portCode><ceb:buyerIdType></ceb:buyerIdType><ceb:buyerIdNumber></ceb:buyerIdNumber><ceb:buyerName></ceb:buyerName><ceb:buyerTelephone></ceb:buyerTelephone><ceb:consigneeAddress></ceb:consigneeAddress><ceb:agentCode></ceb:agentCode><ceb:agentName></ceb:agentName><ceb:tradeMode></ceb:tradeMode><ceb:trafMode></ceb:trafMode><ceb:trafNo></ceb:trafNo><ceb:voyageNo></ceb:voyageNo><ceb:billNo></ceb:billNo><ceb:country></ceb:country><ceb:freight></ceb:freight><ceb:insuredFee></ceb:insuredFee><ceb:currency></ceb:currency><ceb:packNo></ceb:packNo><ceb:grossWeight></ceb:grossWeight><ceb:netWeight></ceb:netWeight></ceb:InventoryHead><ceb:InventoryList><ceb:gnum></ceb:gnum><ceb:itemNo></ceb:itemNo><ceb:itemName></ceb:itemName><ceb:gcode></ceb:gcode><ceb:gname></ceb:gname><ceb:gmodel></ceb:gmodel><ceb:barCode></ceb:barCode><ceb:country></ceb:country><ceb:currency></ceb:currency><ceb:qty></ceb:qty><ceb:unit></ceb:unit><ceb:qty1></ceb:qty1><ceb:unit1></ceb:unit1><ceb:price></ceb:price><ceb:totalPrice></ceb:totalPrice></ceb:InventoryList></ceb:Inventory><ceb:BaseTransfer><ceb:copCode></ceb:copCode><ceb:copName></ceb:copName><ceb:dxpMode></ceb:dxpMode><ceb:dxpId></ceb:dxpId></ceb:BaseTransfer>
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"></ds:CanonicalizationMethod>
<ds:SignatureMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"></ds:SignatureMethod>
<ds:Reference URI="">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"></ds:DigestMethod>
<ds:DigestValue></ds:DigestValue>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue></ds:SignatureValue>
<ds:KeyInfo>
<ds:KeyName></ds:KeyName>
<ds:X509Data>
<ds:X509Certificate></ds:X509Certificate>
</ds:X509Data>
</ds:KeyInfo>
</ds:Signature></ceb:CEB621Message>`

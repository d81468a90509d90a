package ceb_test

import (
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
)

const order = `<?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB513Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb">
<ceb:LogisticsStatus>
<ceb:guid>4CDE1CFD-EDED-46B1-946C-B8022E42FC94</ceb:guid>
<ceb:appType>1</ceb:appType>
<ceb:appTime>20220501120000</ceb:appTime>
<ceb:appStatus>2</ceb:appStatus>
<ceb:logisticsCode>1101180326</ceb:logisticsCode>
<ceb:logisticsName>测试物流企业</ceb:logisticsName>
<ceb:logisticsNo>LP00000001</ceb:logisticsNo>
<ceb:logisticsStatus>S</ceb:logisticsStatus>
<ceb:logisticsTime>20220532120000</ceb:logisticsTime>
</ceb:LogisticsStatus>
<ceb:BaseTransfer>
<ceb:copCode>1101180326</ceb:copCode>
<ceb:copName>测试物流企业</ceb:copName>
<ceb:dxpMode>DXP</ceb:dxpMode>
<ceb:dxpId>DXPLGS0000000001</ceb:dxpId>
</ceb:BaseTransfer>
</ceb:CEB513Message>`

func ExampleDecode() {
	d, err := ceb.Decode([]byte(order))
	if err != nil {
		fmt.Println("unparseable:", err)
		return
	}
	m := d.Message.(*ceb.CEB513Message)
	fmt.Println(d.Type, m.LogisticsStatus[0].LogisticsNo, d.Valid())
	for _, p := range d.Problems {
		fmt.Println(p.Code, p.Path, p.Value)
	}
	// Output:
	// CEB513Message LP00000001 false
	// CEB-DATETIME LogisticsStatus[1]/logisticsTime 20220532120000
}

func ExampleReceiptFor() {
	d, _ := ceb.Decode([]byte(order))
	st := ceb.Status{Status: "100", Code: "1000", Desc: "物流状态时间无效",
		Time: time.Date(2022, 5, 1, 4, 0, 0, 0, time.UTC)}
	r, err := ceb.ReceiptFor(d.Message, st, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ret := r.(*ceb.CEB514Message).LogisticsStatusReturn[0]
	fmt.Println(ret.LogisticsNo, ret.LogisticsStatus, ret.ReturnStatus, ret.ReturnTime, ret.ReturnInfo)
	// Output:
	// LP00000001 S 100 20220501120000000 [Code:1000;Desc:物流状态时间无效]
}

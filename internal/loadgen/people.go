package loadgen

import (
	"fmt"
	"math/rand/v2"

	"github.com/cbec-platform/cbec/internal/ident"
)

// Buyer is a generated consumer. All of it is fake, but it is personal data
// in shape: it goes into messages only, never into logs or reports.
type Buyer struct {
	RegNo    string // account on the platform
	Name     string
	IDNumber string // valid GB 11643 resident ID
	Phone    string
	Address  string
	District string // 6-digit division code of the address
}

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高", "欧阳", "司马"}

var givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红梅鑫宇浩然子涵梓轩欣怡佳琪思远")

var phonePrefixes = []string{"130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "166", "176", "177", "180", "181", "186", "187", "188", "189", "199"}

// city is a delivery area: its division code and street names.
type city struct {
	district string
	prefix   string
	streets  []string
}

var cities = []city{
	{"110105", "北京市朝阳区", []string{"建国路", "望京街", "酒仙桥路", "朝阳北路"}},
	{"310104", "上海市徐汇区", []string{"漕溪北路", "虹桥路", "肇嘉浜路", "龙华中路"}},
	{"440106", "广东省广州市天河区", []string{"天河路", "体育西路", "黄埔大道西", "珠江新城华夏路"}},
	{"440305", "广东省深圳市南山区", []string{"科技园南路", "南海大道", "后海大道", "深南大道"}},
	{"330106", "浙江省杭州市西湖区", []string{"文三路", "天目山路", "古墩路", "西溪路"}},
	{"510107", "四川省成都市武侯区", []string{"人民南路四段", "科华北路", "玉林南路", "武侯祠大街"}},
	{"420102", "湖北省武汉市江岸区", []string{"解放大道", "中山大道", "沿江大道", "建设大道"}},
	{"330203", "浙江省宁波市海曙区", []string{"中山西路", "药行街", "解放南路", "望春路"}},
}

func randomName(r *rand.Rand) string {
	n := 1 + r.IntN(2)
	name := surnames[r.IntN(len(surnames))]
	for range n {
		name += string(givenChars[r.IntN(len(givenChars))])
	}
	return name
}

func randomPhone(r *rand.Rand) string {
	return fmt.Sprintf("%s%08d", phonePrefixes[r.IntN(len(phonePrefixes))], r.IntN(100000000))
}

func randomAddress(r *rand.Rand) (address, district string) {
	c := cities[r.IntN(len(cities))]
	return fmt.Sprintf("%s%s%d号%d栋%d室", c.prefix, c.streets[r.IntN(len(c.streets))], 1+r.IntN(999), 1+r.IntN(30), 101+r.IntN(2800)), c.district
}

// newBuyer draws one buyer; n numbers the buyer's platform account.
func newBuyer(r *rand.Rand, n int) Buyer {
	addr, district := randomAddress(r)
	return Buyer{
		RegNo:    fmt.Sprintf("U%09d", n),
		Name:     randomName(r),
		IDNumber: ident.RandomResidentID(r),
		Phone:    randomPhone(r),
		Address:  addr,
		District: district,
	}
}

// breakCheckDigit returns id with a wrong GB 11643 check character: the
// next one in the check alphabet, so the number keeps its shape (18
// characters, valid region and birth date) and only the check fails.
func breakCheckDigit(id string) string {
	const alphabet = "10X98765432"
	last := id[len(id)-1]
	for i := 0; i < len(alphabet); i++ {
		if alphabet[i] == last {
			return id[:len(id)-1] + string(alphabet[(i+1)%len(alphabet)])
		}
	}
	return id[:len(id)-1] + "0"
}

package ceb

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bench621 returns the typical one-document CEB621 (3 lines, signed) and a
// 100-document message made by repeating its Inventory.
func bench621(tb testing.TB) (one, hundred []byte) {
	one, err := os.ReadFile(filepath.Join("testdata", "CEB621-one.xml"))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(one)
	i := strings.Index(s, "\t<ceb:Inventory>")
	j := strings.Index(s, "</ceb:Inventory>\n") + len("</ceb:Inventory>\n")
	hundred = []byte(s[:i] + strings.Repeat(s[i:j], 100) + s[j:])
	return one, hundred
}

// cpuTime is the CPU time (user + system) used by this process so far. It
// makes figures comparable on a machine shared with other work, where wall
// time depends on the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchDecode(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		d, err := Decode(data)
		if err != nil || !d.Valid() {
			b.Fatalf("%v %v", err, d.Problems)
		}
	}
	cpu := cpuTime() - c0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkParse621One: parse + validate a typical one-document CEB621.
func BenchmarkParse621One(b *testing.B) {
	one, _ := bench621(b)
	benchDecode(b, one)
}

// BenchmarkParse621Hundred: parse + validate a 100-document CEB621.
func BenchmarkParse621Hundred(b *testing.B) {
	_, hundred := bench621(b)
	benchDecode(b, hundred)
}

// BenchmarkParse621OneInDxp: the same message inside a DxpMsg envelope.
func BenchmarkParse621OneInDxp(b *testing.B) {
	one, _ := bench621(b)
	env, err := EncodeDxp(&DxpMsg{TransInfo: TransInfo{CopMsgId: "1", SenderId: "DXPENT0000458763",
		ReceiverIds: []string{"DXPEDCCEB0000002"}, MsgType: "CEB621Message"}, Data: one})
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, env)
}

// BenchmarkStdlibTokens621One is the floor of encoding/xml on the same
// input: tokenizing only, no validation, no struct filling.
func BenchmarkStdlibTokens621One(b *testing.B) {
	one, _ := bench621(b)
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(one))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkReceipt622: build and encode (validated) the CEB622 receipt of
// the one-document CEB621.
func BenchmarkReceipt622(b *testing.B) {
	one, _ := bench621(b)
	d, err := Decode(one)
	if err != nil {
		b.Fatal(err)
	}
	fill := func(_ int, k Keys) { k["preNo"] = "B20260315000000001" }
	st := Status{Status: "120", Code: "1800", Desc: "逻辑校验通过"}
	b.ReportAllocs()
	for b.Loop() {
		r, err := ReceiptFor(d.Message, st, fill)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Encode(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkXmllint621Hundred times `xmllint --noout --nonet --schema` on
// the 100-document file in the same run, for comparison with
// BenchmarkParse621Hundred. One xmllint process validates the file 100
// times (--repeat); a single run is subtracted to leave out process start
// and schema loading. Reported: wall and CPU time per validation.
func BenchmarkXmllint621Hundred(b *testing.B) {
	lint := xmllintPath(b)
	xsd := filepath.Join(specDir(b), "xsd", "ceb-import-202205.xsd")
	_, hundred := bench621(b)
	f := filepath.Join(b.TempDir(), "h100.xml")
	if err := os.WriteFile(f, hundred, 0o644); err != nil {
		b.Fatal(err)
	}
	run := func(args ...string) (wall, cpu time.Duration) {
		cmd := exec.Command(lint, append([]string{"--noout", "--nonet", "--schema", xsd}, append(args, f)...)...)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("xmllint: %v %s", err, out)
		}
		return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var wall, cpu time.Duration
	for b.Loop() {
		w1, c1 := run()
		w100, c100 := run("--repeat")
		wall += (w100 - w1) / 99
		cpu += (c100 - c1) / 99
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((wall / n).Nanoseconds()), "xmllint-wall-ns/msg")
	b.ReportMetric(float64((cpu / n).Nanoseconds()), "xmllint-cpu-ns/msg")
	b.ReportMetric(float64(len(hundred))/(wall/n).Seconds()/1e6, "xmllint-MB/s")
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCEBSignVerifyValidate(t *testing.T) {
	dir := t.TempDir()
	for _, alg := range []string{"sm2", "rsa"} {
		key, cert := filepath.Join(dir, alg+".key"), filepath.Join(dir, alg+".crt")
		if code, _, errOut := run(t, "ceb", "keygen", "--alg", alg, "--key-out", key, "--cert-out", cert); code != 0 {
			t.Fatalf("keygen %s: %s", alg, errOut)
		}
		msg := filepath.Join("..", "..", "examples", "order.xml")
		signed := filepath.Join(dir, alg+"-signed.xml")
		if code, _, errOut := run(t, "ceb", "sign", "--key", key, "--cert", cert, "-o", signed, msg); code != 0 {
			t.Fatalf("sign %s: %s", alg, errOut)
		}
		code, out, _ := run(t, "ceb", "verify", signed)
		if code != 0 || !strings.Contains(out, "signature valid") {
			t.Errorf("verify %s: %d %s", alg, code, out)
		}
		b, _ := os.ReadFile(signed)
		os.WriteFile(signed, []byte(strings.Replace(string(b), "DEMO-ORDER-0001", "DEMO-ORDER-0002", 1)), 0o644)
		code, out, _ = run(t, "ceb", "verify", signed)
		if code != 1 || !strings.Contains(out, "INVALID") {
			t.Errorf("verify after an edit (%s): %d %s", alg, code, out)
		}
	}
}

func TestCEBValidateNamesEveryProblem(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "order.xml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), "<ceb:currency>142</ceb:currency>", "<ceb:currency>840</ceb:currency>", 1)
	broken = strings.Replace(broken, "<ceb:orderNo>DEMO-ORDER-0001</ceb:orderNo>", "", 1)
	path := filepath.Join(t.TempDir(), "broken.xml")
	os.WriteFile(path, []byte(broken), 0o644)
	code, out, _ := run(t, "ceb", "validate", path)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"INVALID", "Order[1]/OrderHead/currency", "840", "Order[1]/OrderHead/orderNo"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ := run(t, "ceb", "validate", filepath.Join("..", "..", "examples", "order.xml")); code != 0 || !strings.Contains(out, "valid, 0 problem") {
		t.Errorf("valid file: %d %s", code, out)
	}
}

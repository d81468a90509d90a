package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/xmlsig"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// cebCmd holds the tools for integration engineers working with CEB messages.
type cebCmd struct {
	Validate cebValidateCmd `cmd:"" help:"Check CEB messages against the spec's rules; print every problem (exit 1 if any file has an error)."`
	Sign     cebSignCmd     `cmd:"" help:"Sign a CEB message (enveloped XML-DSig, RSA-SHA1 or SM2-SM3 by the key's type) in software."`
	Verify   cebVerifyCmd   `cmd:"" help:"Verify a CEB message's signature and print who signed it (exit 1 if it fails)."`
	Keygen   cebKeygenCmd   `cmd:"" help:"Make a self-signed key and certificate for trying signatures out (not for production: use a certificate from your CA)."`
}

type cebValidateCmd struct {
	Files []string `arg:"" help:"CEB XML files (bare or in a DxpMsg envelope)." type:"existingfile"`
}

func (c *cebValidateCmd) Run(e *env) error {
	bad := false
	for _, path := range c.Files {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var problems []ceb.Problem
		kind := "unreadable"
		d, err := ceb.Decode(b)
		var ve *ceb.ValidationError
		switch {
		case errors.As(err, &ve):
			problems = ve.Problems
		case err != nil:
			problems = []ceb.Problem{{Code: ceb.CodeSyntax, Severity: ceb.Error, Message: err.Error()}}
		default:
			kind, problems = d.Type, d.Problems
		}
		errorsFound := ceb.HasErrors(problems)
		bad = bad || errorsFound
		verdict := "valid"
		if errorsFound {
			verdict = "INVALID"
		}
		fmt.Fprintf(e.stdout, "%s: %s %s, %d problem(s)\n", path, kind, verdict, len(problems))
		for _, p := range problems {
			fmt.Fprintf(e.stdout, "  %s\n", p)
		}
	}
	if bad {
		return exitError(1)
	}
	return nil
}

type cebSignCmd struct {
	Key  string `help:"Private key, PEM (RSA PKCS#1/PKCS#8, or SM2 PKCS#8/EC)." type:"existingfile" required:"" placeholder:"KEY.pem"`
	Cert string `help:"The key's X.509 certificate, PEM; it goes into KeyInfo." type:"existingfile" required:"" placeholder:"CERT.pem"`
	Out  string `short:"o" help:"Write the signed message here instead of standard output." placeholder:"FILE"`
	File string `arg:"" help:"The CEB XML message to sign; an existing signature is replaced." type:"existingfile"`
}

func (c *cebSignCmd) Run(e *env) error {
	keyPEM, err := os.ReadFile(c.Key)
	if err != nil {
		return err
	}
	key, err := xmlsig.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return fmt.Errorf("--key %s: %w", c.Key, err)
	}
	certPEM, err := os.ReadFile(c.Cert)
	if err != nil {
		return err
	}
	certs, err := xmlsig.ParseCertificatesPEM(certPEM)
	if err != nil {
		return fmt.Errorf("--cert %s: %w", c.Cert, err)
	}
	doc, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	signed, err := xmlsig.Sign(doc, key, certs[0])
	if err != nil {
		return fmt.Errorf("sign %s: %w", c.File, err)
	}
	if c.Out == "" {
		_, err = e.stdout.Write(signed)
		return err
	}
	return os.WriteFile(c.Out, signed, 0o644)
}

type cebVerifyCmd struct {
	File string `arg:"" help:"The signed CEB XML message." type:"existingfile"`
}

func (c *cebVerifyCmd) Run(e *env) error {
	doc, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	res, err := xmlsig.Verify(doc)
	if err != nil {
		fmt.Fprintf(e.stdout, "%s: signature INVALID: %v\n", c.File, err)
		return exitError(1)
	}
	fmt.Fprintf(e.stdout, "%s: signature valid (%s)\n  signer: %s\n  serial: %s\n  certificate SHA-256: %s\n  valid until: %s\n",
		c.File, res.Algorithm, res.Certificate.Subject, res.Certificate.SerialHex(), res.Certificate.Fingerprint, res.Certificate.NotAfter.Format("2006-01-02"))
	return nil
}

type cebKeygenCmd struct {
	Alg     string `help:"Key type: sm2 (SM2-SM3, the spec's preferred) or rsa (RSA-SHA1)." enum:"sm2,rsa" default:"sm2"`
	CN      string `name:"cn" help:"Subject common name of the certificate." default:"cbec test"`
	KeyOut  string `help:"Where to write the private key (PEM, mode 0600)." required:"" placeholder:"KEY.pem"`
	CertOut string `help:"Where to write the certificate (PEM)." required:"" placeholder:"CERT.pem"`
}

func (c *cebKeygenCmd) Run(e *env) error {
	alg := xmlsig.SM2SM3
	if c.Alg == "rsa" {
		alg = xmlsig.RSASHA1
	}
	id, err := xmlsigtest.Generate(alg, c.CN)
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.KeyOut, id.KeyPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(c.CertOut, id.CertPEM, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s key %s and certificate %s (SHA-256 %s)\n", alg, c.KeyOut, c.CertOut, id.Cert.Fingerprint)
	return nil
}

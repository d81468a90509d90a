// Package vault protects personal data at rest. It holds the platform's secret
// key, from which it derives a key for keyed hashes (to compare and look up
// names, ID numbers and phone numbers without keeping them in clear) and a key
// for sealing whole messages with AES-256-GCM (the raw CEB messages, kept as
// evidence; compressed first).
//
// The secret comes from CBEC_SECRET_KEY (base64 of 32 bytes; every node of a
// PostgreSQL deployment must share it) or, on a single machine, from the file
// secret.key in the data folder, created at first start. Losing it makes the
// sealed messages unreadable and the stored hashes unmatchable.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cbec-platform/cbec/internal/errs"
)

// Vault hashes and seals with keys derived from one secret.
type Vault struct {
	hashKey []byte
	aead    cipher.AEAD
}

// New derives the vault's keys from a 32-byte secret.
func New(secret []byte) (*Vault, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("vault: secret has %d bytes, want 32", len(secret))
	}
	block, err := aes.NewCipher(derive(secret, "seal"))
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return &Vault{hashKey: derive(secret, "hash"), aead: aead}, nil
}

// derive gives each use its own key, so that a hash never reveals anything about the sealing key.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("cbec vault " + purpose))
	return m.Sum(nil)
}

// Load returns the vault of encoded (base64 from the environment) or, when it
// is empty, of the key file in dataDir, creating the file if it does not exist.
func Load(encoded, dataDir string) (*Vault, error) {
	v, save, err := Prepare(encoded, dataDir)
	if err != nil {
		return nil, err
	}
	if save != nil {
		if err := save(); err != nil {
			if errors.Is(err, os.ErrExist) { // another process wrote it first: use that one
				return Load("", dataDir)
			}
			return nil, err
		}
	}
	return v, nil
}

// Prepare is Load without writing anything: when the key file does not exist
// yet it returns a vault of a new secret and save, which writes that secret to
// the file. A server calls save only once every check of its start has passed,
// so a refused start leaves no new key behind to hide a missing one. save
// fails with an error wrapping os.ErrExist if the file appeared meanwhile.
func Prepare(encoded, dataDir string) (v *Vault, save func() error, err error) {
	if encoded != "" {
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil {
			return nil, nil, fmt.Errorf("CBEC_SECRET_KEY is not base64: %w", err)
		}
		v, err := New(secret)
		return v, nil, err
	}
	path := filepath.Join(dataDir, "secret.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, nil, fmt.Errorf("generate secret key: %w", err)
		}
		v, err := New(secret)
		return v, func() error { return write(path, secret) }, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read secret key: %w", err)
	}
	secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("secret key file %s is not base64: %w", path, err)
	}
	v, err = New(secret)
	return v, nil, err
}

// write stores a new secret in the key file, never over an existing one.
func write(path string, secret []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	// O_EXCL: two processes starting together must not each write their own key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create secret key file: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(secret) + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("write secret key file: %w", err)
	}
	return nil
}

// NewSecret returns a fresh secret in the base64 form CBEC_SECRET_KEY takes.
func NewSecret() (_ string, err error) {
	defer errs.Wrap(&err, "vault.NewSecret")
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// Hash returns a keyed hash of value for the given kind of data ("id",
// "name", "phone", "address"), hex encoded. Equal inputs of the same kind give
// equal hashes; callers normalize values first (ident.Normalize for ID numbers).
// An empty value hashes to "" so that "absent" stays visible.
func (v *Vault) Hash(kind, value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, v.hashKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil)[:20])
}

// Seal compresses plain, then encrypts and authenticates it; the nonce is
// prepended. The raw messages are most of what the database stores, and
// their XML shrinks several times over (docs/performance.md).
func (v *Vault) Seal(plain []byte) []byte {
	packed := compress(plain)
	nonce := make([]byte, v.aead.NonceSize(), v.aead.NonceSize()+len(packed)+v.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("vault: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return v.aead.Seal(nonce, nonce, packed, nil)
}

// Open decrypts what Seal produced, failing if it was altered.
func (v *Vault) Open(sealed []byte) ([]byte, error) {
	n := v.aead.NonceSize()
	if len(sealed) < n+v.aead.Overhead() {
		return nil, errors.New("vault: sealed data too short")
	}
	plain, err := v.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("vault: sealed data altered or sealed with another key: %w", err)
	}
	return decompress(plain)
}

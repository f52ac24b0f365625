package tlsinfo

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// CertSpec says what a generated certificate is for.
type CertSpec struct {
	CommonName string
	// Names are the host names and addresses it covers: each one that
	// parses as an IP address is an IP address name, the others DNS
	// names.
	Names []string
	// NotBefore and NotAfter bound its validity; zero values mean from an
	// hour ago (for clocks a little behind) to DefaultValidity later.
	NotBefore, NotAfter time.Time
}

// DefaultValidity is how long a generated certificate lasts.
const DefaultValidity = 90 * 24 * time.Hour

// Authority is a certificate authority made in memory: a certificate and
// the key it signs with. Its key never leaves memory.
type Authority struct {
	Cert  *x509.Certificate
	key   crypto.Signer
	chain [][]byte // its certificate and those above it, DER
}

// NewAuthority makes a root authority that signs itself.
func NewAuthority(name string) (*Authority, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	tmpl := template(CertSpec{CommonName: name, NotAfter: time.Now().Add(10 * DefaultValidity)})
	tmpl.IsCA, tmpl.KeyUsage = true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	cert, der, err := create(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, key: key, chain: [][]byte{der}}, nil
}

// Intermediate makes an authority that a signs.
func (a *Authority) Intermediate(name string) (*Authority, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	tmpl := template(CertSpec{CommonName: name, NotAfter: a.Cert.NotAfter})
	tmpl.IsCA, tmpl.KeyUsage = true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	cert, der, err := create(tmpl, a.Cert, key.Public(), a.key)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, key: key, chain: append([][]byte{der}, a.chain...)}, nil
}

// Issue makes a server certificate that a signs, with its key. Its chain
// holds the authority's certificates up to the root, as servers usually
// send them (a client trusts the root, or not).
func (a *Authority) Issue(spec CertSpec) (tls.Certificate, error) {
	key, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, der, err := create(template(spec), a.Cert, key.Public(), a.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: append([][]byte{der}, a.chain...), PrivateKey: key, Leaf: leaf}, nil
}

// PEM returns the authority's certificate in PEM, to trust it elsewhere.
func (a *Authority) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.Cert.Raw})
}

// SelfSigned makes a server certificate that signs itself, with its key.
func SelfSigned(spec CertSpec) (tls.Certificate, error) {
	key, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := template(spec)
	leaf, der, err := create(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// newKey makes an ECDSA P-256 key: quick to make, and every TLS peer
// takes it.
func newKey() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// template is the certificate the spec describes, with a random serial.
func template(spec CertSpec) *x509.Certificate {
	notBefore, notAfter := spec.NotBefore, spec.NotAfter
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = notBefore.Add(DefaultValidity)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) // crypto/rand does not fail
	t := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: spec.CommonName},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, name := range spec.Names {
		if ip := net.ParseIP(name); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, name)
		}
	}
	return t
}

func create(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, []byte, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, der, err
}

// LoadKeyPair reads a certificate (with its chain) and its key from PEM
// files.
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if len(pair.Certificate) > 0 && pair.Leaf == nil {
		pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0])
	}
	return pair, err
}

// LoadCAFile reads the certificates of a PEM file, to trust them. A file
// with no certificate in it is an error.
func LoadCAFile(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCertificatesPEM(data)
}

// ParseCertificatesPEM reads every certificate in PEM text; other blocks
// are skipped. Text with no certificate in it is an error.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for len(data) > 0 {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		data = rest
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate in it")
	}
	return out, nil
}

// EncodePEM writes a certificate and its key as PEM blocks, to save them.
func EncodePEM(c tls.Certificate) (certPEM, keyPEM []byte, err error) {
	for _, der := range c.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), nil
}

package tlsinfo

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"sockbench/safe"
)

// CertInfo is what a certificate says, for people. Every string in it
// comes from the certificate as it is: outside text.
type CertInfo struct {
	Subject   string // the subject's distinguished name, such as "CN=example.com,O=Example"
	Issuer    string
	DNSNames  []string
	IPs       []string
	Emails    []string
	URIs      []string
	NotBefore time.Time
	NotAfter  time.Time
	KeyType   string // "RSA", "ECDSA P-256", "Ed25519", ...
	KeyBits   int    // the key's size in bits
	SHA256    [32]byte
	IsCA      bool
	// SelfSigned is set when the certificate names itself as its issuer
	// and its own key checks its signature.
	SelfSigned bool
}

// Describe reads what a certificate says.
func Describe(c *x509.Certificate) CertInfo {
	info := CertInfo{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(),
		DNSNames: c.DNSNames, Emails: c.EmailAddresses,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		SHA256: sha256.Sum256(c.Raw), IsCA: c.IsCA, SelfSigned: isSelfSigned(c),
	}
	for _, ip := range c.IPAddresses {
		info.IPs = append(info.IPs, ip.String())
	}
	for _, u := range c.URIs {
		info.URIs = append(info.URIs, u.String())
	}
	info.KeyType, info.KeyBits = keyOf(c)
	return info
}

// DescribeChain reads every certificate of a chain.
func DescribeChain(chain []*x509.Certificate) []CertInfo {
	out := make([]CertInfo, len(chain))
	for i, c := range chain {
		out[i] = Describe(c)
	}
	return out
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// keyOf names the type of a certificate's public key and its size.
func keyOf(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name, k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	}
	return c.PublicKeyAlgorithm.String(), 0
}

// Names returns the host names and addresses the certificate covers: its
// DNS names, then its IP addresses.
func (c CertInfo) Names() []string {
	return append(append([]string(nil), c.DNSNames...), c.IPs...)
}

// Fingerprint returns the SHA-256 of the certificate as colon-separated
// hex pairs, as openssl x509 -fingerprint prints it.
func (c CertInfo) Fingerprint() string { return Fingerprint(c.SHA256) }

// Fingerprint writes a SHA-256 digest as colon-separated hex pairs.
func Fingerprint(sum [32]byte) string {
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

// DaysLeft returns the whole days from now to the end of the validity;
// negative once it has passed.
func (c CertInfo) DaysLeft(now time.Time) int { return int(c.NotAfter.Sub(now).Hours() / 24) }

// Validity says in words how the validity stands at now, such as
// "2026-01-02 00:00 UTC to 2026-04-02 00:00 UTC, 89 days left".
func (c CertInfo) Validity(now time.Time) string {
	span := dateText(c.NotBefore) + " to " + dateText(c.NotAfter)
	switch {
	case now.Before(c.NotBefore):
		return span + ", not valid yet: it starts in " + spanText(c.NotBefore.Sub(now))
	case now.After(c.NotAfter):
		return span + ", EXPIRED " + spanText(now.Sub(c.NotAfter)) + " ago"
	}
	return span + ", " + spanText(c.NotAfter.Sub(now)) + " left"
}

// spanText writes a positive duration in whole days, or "less than a
// day".
func spanText(d time.Duration) string {
	if d < 24*time.Hour {
		return "less than a day"
	}
	return plural(int(d.Hours()/24), "day")
}

// KeyText says "ECDSA P-256" or "RSA 2048 bits".
func (c CertInfo) KeyText() string {
	if c.KeyBits == 0 || strings.HasPrefix(c.KeyType, "ECDSA") || c.KeyType == "Ed25519" {
		return c.KeyType
	}
	return fmt.Sprintf("%s %d bits", c.KeyType, c.KeyBits)
}

// Lines describes the certificate in words, one fact a line, made safe
// for a terminal: subject, issuer, names, validity, key, fingerprint.
func (c CertInfo) Lines(now time.Time) []string {
	issuer := c.Issuer
	if c.SelfSigned {
		issuer += " (itself: self-signed)"
	}
	names := listText(c.Names(), 20)
	if names == "" {
		names = "none"
	}
	lines := []string{
		"subject " + c.Subject,
		"issuer  " + issuer,
		"names   " + names,
		"valid   " + c.Validity(now),
		"key     " + c.KeyText(),
		"sha256  " + c.Fingerprint(),
	}
	if c.IsCA {
		lines[0] += " (a certificate authority)"
	}
	for i, l := range lines {
		lines[i] = safe.Text(l)
	}
	return lines
}

// dateText writes a time as a UTC date and minute.
func dateText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// listText joins at most limit items with commas, and says how many more
// there are.
func listText(items []string, limit int) string {
	if len(items) <= limit {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:limit], ", "), len(items)-limit)
}

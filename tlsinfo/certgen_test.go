package tlsinfo

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPEMRoundTrip saves a generated certificate and key, loads them back
// and trusts the authority from its PEM.
func TestPEMRoundTrip(t *testing.T) {
	ca, cert := testCA(t)
	certPEM, keyPEM, err := EncodePEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	for path, data := range map[string][]byte{certFile: certPEM, keyFile: keyPEM, caFile: ca.PEM()} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	loaded, err := LoadKeyPair(certFile, keyFile)
	if err != nil || loaded.Leaf == nil || !bytes.Equal(loaded.Leaf.Raw, cert.Leaf.Raw) || len(loaded.Certificate) != 2 {
		t.Fatalf("LoadKeyPair: %v", err)
	}
	trusted, err := LoadCAFile(caFile)
	if err != nil || len(trusted) != 1 || !trusted[0].Equal(ca.Cert) {
		t.Fatalf("LoadCAFile: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(trusted[0])
	if _, err := loaded.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("the loaded certificate does not verify: %v", err)
	}
}

func TestCAFileWithoutCertificates(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"empty":   "",
		"key":     "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"garbage": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if certs, err := LoadCAFile(path); err == nil || certs != nil {
			t.Errorf("%s: %d certificates, %v", name, len(certs), err)
		}
	}
	if _, err := LoadCAFile(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func TestGeneratedCertificates(t *testing.T) {
	cert, err := SelfSigned(CertSpec{CommonName: "me", Names: []string{"localhost", "::1", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	info := Describe(cert.Leaf)
	now := time.Now()
	if !info.SelfSigned || info.IsCA || strings.Join(info.Names(), " ") != "localhost ::1 127.0.0.1" ||
		info.DaysLeft(now) != 89 || info.KeyText() != "ECDSA P-256" {
		t.Errorf("%+v, %d days left", info, info.DaysLeft(now))
	}
	if fp := info.Fingerprint(); len(fp) != 95 || strings.Count(fp, ":") != 31 {
		t.Errorf("fingerprint %q", fp)
	}
	if got := info.Validity(now.Add(100 * 24 * time.Hour)); !strings.HasSuffix(got, ", EXPIRED 10 days ago") {
		t.Errorf("validity %q", got)
	}
	if got := info.Validity(now.Add(-2 * time.Hour)); !strings.HasSuffix(got, ", not valid yet: it starts in less than a day") {
		t.Errorf("validity %q", got)
	}
}

func TestNames(t *testing.T) {
	if AlertName(40) != "handshake_failure" || AlertName(200) != "alert 200" || AlertCause(200) != "" {
		t.Error("alert names")
	}
	if KindNameMismatch.String() != "name-mismatch" || Kind(99).String() != "other" || KindCancelled.String() != "cancelled" {
		t.Error("kind names")
	}
	if TypeHandshake.String() != "handshake" || ContentType(99).String() != "type 99" || MsgFinished.String() != "Finished" {
		t.Error("type names")
	}
	if (Alert{Level: 2, Code: 48}).String() != "fatal unknown_ca" || VersionName(0x0303) != "TLS 1.2" {
		t.Error("alert or version")
	}
}

// FuzzParseCertificatesPEM: a CA file (--cafile) is outside input. What it
// takes is at least one certificate, which written as PEM again reads back
// the same and describes itself without a panic; what it refuses is an
// error of one line.
func FuzzParseCertificatesPEM(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificatesPEM(data)
		if err != nil {
			if certs != nil || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("%d certificates with the error %q", len(certs), err)
			}
			return
		}
		if len(certs) == 0 {
			t.Fatal("no certificate and no error")
		}
		var again []byte
		for _, c := range certs {
			again = append(again, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
			_ = Describe(c).Lines(time.Unix(0, 0))
		}
		back, err := ParseCertificatesPEM(again)
		if err != nil || len(back) != len(certs) {
			t.Fatalf("%d certificates read back as %d, %v", len(certs), len(back), err)
		}
		for i := range back {
			if !back[i].Equal(certs[i]) {
				t.Fatalf("certificate %d reads back different", i)
			}
		}
	})
}

package tlsinfo

import (
	"crypto/tls"
	"fmt"
)

// ContentType is the type of a TLS record (RFC 8446, 5.1).
type ContentType uint8

// Record content types.
const (
	TypeChangeCipherSpec ContentType = 20
	TypeAlert            ContentType = 21
	TypeHandshake        ContentType = 22
	TypeApplicationData  ContentType = 23
	TypeHeartbeat        ContentType = 24
)

var contentTypeNames = map[ContentType]string{
	TypeChangeCipherSpec: "change_cipher_spec",
	TypeAlert:            "alert",
	TypeHandshake:        "handshake",
	TypeApplicationData:  "application_data",
	TypeHeartbeat:        "heartbeat",
}

// String returns the type's name in the RFCs, such as "handshake", or its
// number.
func (t ContentType) String() string {
	if name, ok := contentTypeNames[t]; ok {
		return name
	}
	return fmt.Sprintf("type %d", uint8(t))
}

// HandshakeType is the type of a handshake message.
type HandshakeType uint8

// Handshake message types.
const (
	MsgHelloRequest        HandshakeType = 0
	MsgClientHello         HandshakeType = 1
	MsgServerHello         HandshakeType = 2
	MsgNewSessionTicket    HandshakeType = 4
	MsgEndOfEarlyData      HandshakeType = 5
	MsgEncryptedExtensions HandshakeType = 8
	MsgCertificate         HandshakeType = 11
	MsgServerKeyExchange   HandshakeType = 12
	MsgCertificateRequest  HandshakeType = 13
	MsgServerHelloDone     HandshakeType = 14
	MsgCertificateVerify   HandshakeType = 15
	MsgClientKeyExchange   HandshakeType = 16
	MsgFinished            HandshakeType = 20
	MsgCertificateStatus   HandshakeType = 22
	MsgKeyUpdate           HandshakeType = 24
)

var handshakeNames = map[HandshakeType]string{
	MsgHelloRequest:        "HelloRequest",
	MsgClientHello:         "ClientHello",
	MsgServerHello:         "ServerHello",
	MsgNewSessionTicket:    "NewSessionTicket",
	MsgEndOfEarlyData:      "EndOfEarlyData",
	MsgEncryptedExtensions: "EncryptedExtensions",
	MsgCertificate:         "Certificate",
	MsgServerKeyExchange:   "ServerKeyExchange",
	MsgCertificateRequest:  "CertificateRequest",
	MsgServerHelloDone:     "ServerHelloDone",
	MsgCertificateVerify:   "CertificateVerify",
	MsgClientKeyExchange:   "ClientKeyExchange",
	MsgFinished:            "Finished",
	MsgCertificateStatus:   "CertificateStatus",
	MsgKeyUpdate:           "KeyUpdate",
}

// String returns the message's name, such as "ServerHello", or its number.
func (t HandshakeType) String() string {
	if name, ok := handshakeNames[t]; ok {
		return name
	}
	return fmt.Sprintf("handshake message %d", uint8(t))
}

// VersionName names a protocol version, such as "TLS 1.3"; a version
// nobody defined is shown in hex.
func VersionName(v uint16) string {
	if v == 0 {
		return "none"
	}
	return tls.VersionName(v)
}

// CipherSuiteName names a cipher suite as the IANA registry does, or
// shows its number in hex.
func CipherSuiteName(id uint16) string { return tls.CipherSuiteName(id) }

// alertInfo is an alert's name and what usually makes a peer send it.
type alertInfo struct {
	name  string
	cause string
}

// alerts are the alert descriptions (RFC 8446, 6, and RFC 7301 for ALPN)
// with what usually causes each.
var alerts = map[uint8]alertInfo{
	0:   {"close_notify", "the peer closed the session"},
	10:  {"unexpected_message", "a message came that the peer did not expect at that point; often the two sides speak different protocols"},
	20:  {"bad_record_mac", "a record did not decrypt: corrupted on the way, or the keys do not match"},
	22:  {"record_overflow", "a record was longer than the protocol allows"},
	40:  {"handshake_failure", "no cipher suite, version or key exchange in common; or the server wants a name (SNI) or a client certificate"},
	42:  {"bad_certificate", "a certificate was refused: a client that verifies refusing the server's, or a server refusing the client's"},
	43:  {"unsupported_certificate", "a certificate of a kind the peer does not accept (its key type or signature)"},
	44:  {"certificate_revoked", "a certificate was revoked by its issuer"},
	45:  {"certificate_expired", "a certificate has expired or is not valid yet"},
	46:  {"certificate_unknown", "a certificate was refused for some other reason"},
	47:  {"illegal_parameter", "a field of a handshake message was out of range or inconsistent"},
	48:  {"unknown_ca", "the peer does not trust the authority that issued the certificate it was given"},
	49:  {"access_denied", "the peer authenticated us and refused us all the same"},
	50:  {"decode_error", "the peer could not parse a message: a bug, or something in the path changed it"},
	51:  {"decrypt_error", "a signature or a Finished check failed"},
	70:  {"protocol_version", "no TLS version in common: the peer accepts none of those offered (see the minimum and maximum versions)"},
	71:  {"insufficient_security", "the peer wants stronger cipher suites than those offered"},
	80:  {"internal_error", "the peer failed on its own side"},
	86:  {"inappropriate_fallback", "a retry with an older version looked like a downgrade attack"},
	90:  {"user_canceled", "the peer gave up the handshake"},
	109: {"missing_extension", "a message lacked an extension the peer requires"},
	110: {"unsupported_extension", "a message held an extension the peer did not offer or allow"},
	112: {"unrecognized_name", "the server has nothing for the name sent as SNI (check the server name)"},
	113: {"bad_certificate_status_response", "the certificate's status (OCSP) answer was refused"},
	115: {"unknown_psk_identity", "the peer does not know the pre-shared key offered"},
	116: {"certificate_required", "the server wants a client certificate, and none was sent"},
	120: {"no_application_protocol", "the server speaks none of the application protocols offered (ALPN)"},
}

// AlertName names an alert description, such as "handshake_failure".
func AlertName(code uint8) string {
	if a, ok := alerts[code]; ok {
		return a.name
	}
	return fmt.Sprintf("alert %d", code)
}

// AlertCause says what usually makes a peer send an alert, or "" when
// nothing useful can be said.
func AlertCause(code uint8) string { return alerts[code].cause }

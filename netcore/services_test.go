//go:build !cgo || !(linux || darwin || freebsd)

package netcore

import "testing"

func TestResolveServicesParser(t *testing.T) {
	db := parseServices([]byte(`# comment
http		80/tcp		www		# WorldWideWeb HTTP
domain		53/tcp
domain		53/udp
bad		x/tcp
noproto		99
amqp		5672/tcp
amqp		5672/sctp
alt		80/tcp
	  
big		70000/tcp
`))
	if len(db) != 6 {
		t.Fatalf("%d entries: %+v", len(db), db)
	}
	for _, c := range []struct {
		name, proto string
		port        int
		ok          bool
	}{
		{"http", "tcp", 80, true}, {"www", "tcp", 80, true}, {"http", "udp", 0, false},
		{"HTTP", "tcp", 0, false}, {"domain", "udp", 53, true}, {"amqp", "sctp", 5672, true},
		{"bad", "tcp", 0, false}, {"big", "tcp", 0, false},
	} {
		if p, ok := servicePort(db, c.name, c.proto); p != c.port || ok != c.ok {
			t.Errorf("servicePort(%s/%s) = %d, %v", c.name, c.proto, p, ok)
		}
	}
	if n, ok := serviceName(db, 80, "tcp"); n != "http" || !ok {
		t.Errorf("serviceName(80/tcp) = %q, %v; want the first entry", n, ok)
	}
	if n, ok := serviceName(db, 53, "udp"); n != "domain" || !ok {
		t.Errorf("serviceName(53/udp) = %q, %v", n, ok)
	}
	if _, ok := serviceName(db, 80, "udp"); ok {
		t.Error("serviceName(80/udp) found")
	}
}

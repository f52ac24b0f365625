package wire

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testDeadline bounds every wait in these tests; it is a cap for hangs,
// never a measure of speed.
const testDeadline = 30 * time.Second

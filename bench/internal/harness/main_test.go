package harness

import (
	"testing"

	"github.com/kwik-transport/kwik/internal/leaktest"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

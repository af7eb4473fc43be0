package kwik_test

import (
	"testing"

	"github.com/kwik-transport/kwik/internal/leaktest"
)

// The black-box tests live in integrationtests/; here are the examples.

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

package bench

import (
	"os"
	"testing"

	"github.com/kwik-transport/kwik/internal/leaktest"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec)) // a benchmark's server process, not a test run
	}
	leaktest.VerifyTestMain(m)
}

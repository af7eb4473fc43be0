package multisource_test

import (
	"bytes"
	"testing"

	"github.com/kwik-transport/kwik/internal/leaktest"
	"github.com/kwik-transport/kwik/internal/testkit"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// The fixtures shared with integrationtests (internal/testkit), under the
// names these tests use.
var (
	testTLS     = testkit.TLS
	testPin     = testkit.Pin
	testContext = testkit.Context
	listen      = testkit.Listen
	payload     = testkit.Payload
	fetch       = testkit.Fetch
)

// groupKey is the servers' shared group key.
var groupKey = bytes.Repeat([]byte("k"), 32)

const (
	healthyIdle  = testkit.HealthyIdle
	cutIdle      = testkit.CutIdle
	cutKeepAlive = testkit.CutKeepAlive
)

// Package leaktest is the goroutine-leak check every test binary of the
// module runs after its tests.
package leaktest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// settle is how long goroutines that were told to stop may take to end.
// quic-go ends a closed connection's or transport's goroutines after Close
// returns; on a loaded machine that takes longer than goleak's own retries
// (about 2 s). A goroutine that nobody stopped is still there after it.
const settle = 30 * time.Second

// VerifyTestMain runs the tests, then fails the binary if goroutines other
// than the runtime's are still running once settle has passed.
func VerifyTestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := Check(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// Check returns an error naming the goroutines, other than the runtime's
// and the caller's, still running once settle has passed.
func Check() error {
	if err := find(time.Now().Add(settle)); err != nil {
		return fmt.Errorf("leaktest: goroutines still running %v after the tests: %w", settle, err)
	}
	return nil
}

// find asks goleak, which retries for a while itself, until the goroutines
// are gone or the deadline passed.
func find(deadline time.Time) error {
	for {
		err := goleak.Find()
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}

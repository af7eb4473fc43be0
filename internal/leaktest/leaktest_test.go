package leaktest

import (
	"testing"
	"time"
)

func TestMain(m *testing.M) { VerifyTestMain(m) }

// A goroutine that ends a little after its test is not a leak; one that
// never ends is, and find reports it.
func TestFind(t *testing.T) {
	stop := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		<-stop
	}()
	if err := find(time.Now()); err == nil {
		t.Fatal("find saw no goroutine while one was blocked")
	}
	close(stop)
	<-ended
	if err := find(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatalf("after the goroutine ended: %v", err)
	}
}

package session

import "testing"

func closedNow(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestSignal(t *testing.T) {
	var g signal
	first := g.wait()
	if closedNow(first) {
		t.Fatal("wait is closed before any notify")
	}
	g.notify()
	if !closedNow(first) {
		t.Fatal("notify did not wake the waiter")
	}
	second := g.wait()
	if closedNow(second) {
		t.Fatal("a new wait after notify is already closed")
	}
	g.end()
	if !closedNow(second) || !closedNow(g.wait()) {
		t.Fatal("end did not wake current and later waiters")
	}
	// A notify or end after the end (a frame racing the session's close)
	// must not close a closed channel.
	g.notify()
	g.end()
	if !closedNow(g.wait()) {
		t.Fatal("wait after end is not closed")
	}
}

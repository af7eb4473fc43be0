package stream

import (
	"errors"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

func passed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestDeadlineSetAndReset(t *testing.T) {
	d := newDeadline()
	if passed(d.done()) {
		t.Fatal("a new deadline has passed")
	}
	d.set(time.Now().Add(-time.Second))
	if !passed(d.done()) {
		t.Fatal("a deadline in the past has not passed")
	}
	d.set(time.Time{})
	if passed(d.done()) {
		t.Fatal("clearing a passed deadline did not reset it")
	}
	d.set(time.Now().Add(time.Hour))
	if passed(d.done()) {
		t.Fatal("a deadline an hour away has passed")
	}
	d.set(time.Time{})
	if passed(d.done()) {
		t.Fatal("a cleared deadline has passed")
	}
}

func TestDeadlineMovedWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDeadline()
		d.set(time.Now().Add(time.Hour))
		waiting := d.done() // a caller already waiting
		d.set(time.Now().Add(20 * time.Millisecond))
		select {
		case <-waiting:
		case <-time.After(10 * time.Second):
			t.Fatal("bringing the deadline forward did not reach a waiting caller")
		}

		d.set(time.Now().Add(20 * time.Millisecond))
		waiting = d.done()
		d.set(time.Now().Add(time.Hour)) // pushed back before it fired
		d.set(time.Now().Add(-time.Second))
		if !passed(waiting) {
			t.Fatal("a deadline moved to the past did not reach a waiting caller")
		}
	})
}

func TestDeadlineFiresThenResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDeadline()
		d.set(time.Now().Add(time.Millisecond))
		select {
		case <-d.done():
		case <-time.After(10 * time.Second):
			t.Fatal("deadline never fired")
		}
		// Setting a new deadline after the timer fired must not block on it
		// and must give a fresh channel.
		d.set(time.Now().Add(time.Hour))
		if passed(d.done()) {
			t.Fatal("a new deadline after one fired has passed at once")
		}
	})
}

func TestDeadlineError(t *testing.T) {
	var nerr net.Error
	if !errors.As(errDeadline, &nerr) || !nerr.Timeout() {
		t.Fatal("errDeadline is not a net.Error with Timeout")
	}
	if !errors.Is(errDeadline, os.ErrDeadlineExceeded) {
		t.Fatal("errDeadline does not match os.ErrDeadlineExceeded")
	}
}

package session

// signal serves only Deliveries, whose callers are handed a channel to put
// in their own select (Spread's feed, the CLI's monitor); every wait inside
// the module uses internal/gate. A gate cannot serve Deliveries: a receive
// from its channel takes the gate, which a caller outside the module never
// gives back, so a change would wake one holder of the channel instead of
// all (TestDeliveriesWakeEveryWaiter).
//
// signal wakes every goroutine waiting for a change at once. Its owner's
// mutex guards it: wait returns a channel closed at the next notify, or
// already closed once the signal is ended for good, so that a waiter never
// sleeps through the end of the session and a late notify is harmless.
type signal struct {
	ch    chan struct{}
	ended bool
}

// wait returns the channel the next notify (or end) closes.
func (g *signal) wait() <-chan struct{} {
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return g.ch
}

// notify wakes the current waiters; after end it does nothing.
func (g *signal) notify() {
	if g.ended || g.ch == nil {
		return
	}
	close(g.ch)
	g.ch = nil
}

// end wakes the current and every future waiter.
func (g *signal) end() {
	if g.ended {
		return
	}
	g.wait()
	close(g.ch)
	g.ended = true
}

// Package gate provides Gate, KWIK's one wake-up primitive: a lock that
// carries one bit of condition, after x/net/quic's gate. A waiter blocks
// until the condition is set and then holds the lock, so it never misses a
// wake-up that happened between looking at its state and starting to wait;
// whoever releases the gate says whether the condition now holds.
package gate

import "context"

// A Gate is a monitor (a mutex and a condition variable) with one bit of
// state, the condition. Lock acquires it whatever the condition; WaitAndLock
// and Ready wait for the condition to be set first. Unlock records the
// condition as it now is and releases the gate.
//
// The condition is a level, not an event: a holder that leaves the state it
// guards ready for another waiter unlocks with the condition set, so every
// waiter is woken in turn. A Gate must be created with New or NewLocked and
// must not be copied after first use.
type Gate struct {
	// While unlocked exactly one of set and unset holds a value; while
	// locked neither does.
	set   chan struct{}
	unset chan struct{}
}

// New returns an unlocked Gate whose condition is not set.
func New() Gate {
	g := NewLocked()
	g.Unlock(false)
	return g
}

// NewLocked returns a Gate its caller holds; the condition is decided by
// the caller's first Unlock.
func NewLocked() Gate {
	return Gate{
		set:   make(chan struct{}, 1),
		unset: make(chan struct{}, 1),
	}
}

// Lock acquires the gate whatever its condition and reports whether the
// condition was set.
func (g *Gate) Lock() (set bool) {
	select {
	case <-g.set:
		return true
	case <-g.unset:
		return false
	}
}

// WaitAndLock waits until the condition is set and acquires the gate. If ctx
// ends first it returns ctx's error and does not hold the gate.
func (g *Gate) WaitAndLock(ctx context.Context) error {
	select {
	case <-g.set:
		return nil
	default:
	}
	select {
	case <-g.set:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ready returns a channel a receive from which acquires the gate with its
// condition set, as WaitAndLock does. It is for a loop that waits for other
// things in the same select (a timer, several gates); the receiver then
// holds the gate and must Unlock it.
func (g *Gate) Ready() <-chan struct{} { return g.set }

// LockIfSet acquires the gate only if its condition is set, without waiting.
func (g *Gate) LockIfSet() (acquired bool) {
	select {
	case <-g.set:
		return true
	default:
		return false
	}
}

// Unlock records whether the condition now holds and releases the gate. The
// caller must hold it.
func (g *Gate) Unlock(set bool) {
	if set {
		g.set <- struct{}{}
	} else {
		g.unset <- struct{}{}
	}
}

// UnlockFunc releases the gate with the condition f reports; it reads well
// in a defer.
func (g *Gate) UnlockFunc(f func() bool) { g.Unlock(f()) }

// Set sets the condition, waking one waiter, without holding the gate for
// longer than that: the whole of what a producer does when the gate only
// says "look again" and its state lives elsewhere.
func (g *Gate) Set() {
	g.Lock()
	g.Unlock(true)
}
